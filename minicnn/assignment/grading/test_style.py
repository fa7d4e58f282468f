"""Neural style's objectives (minicnn/objectives.py): each value and gradient against reference
arrays (their gradients are also checked against numerical ones in test_backward.py)."""
from grading import assert_matches, mistakes, needs, reference
from minicnn import objectives as O

REF = reference("style")


def check(name, what, got):
    assert_matches("style", what, got, REF[name], mistakes(REF, name))


def test_content_loss():
    """style: content_loss(f, target), its value and gradient."""
    value, grad = O.content_loss(REF["f"], REF["target"])
    check("content_loss value", "content_loss(f, target)'s value", value)
    check("content_loss gradient", "content_loss(f, target)'s gradient", grad)


def the_gram_matrix_is_written():
    """Where only the gram part (gram_backward) is the student's, these tests wait for it."""
    G, cache = O.gram_forward(REF["f"])
    needs(O.gram_backward, REF["dG"], cache)


def test_gram_matrix():
    """style: gram_forward(f), and gram_backward(dG, its cache)."""
    the_gram_matrix_is_written()
    G, cache = O.gram_forward(REF["f"])
    check("gram_forward", f"gram_forward(f of shape {REF['f'].shape})", G)
    check("gram_backward", f"gram_backward(dG of shape {REF['dG'].shape}, cache)", O.gram_backward(REF["dG"], cache))


def test_style_loss():
    """style: style_loss(f, the target's Gram matrix), its value and gradient."""
    the_gram_matrix_is_written()
    target = O.gram_forward(REF["target"])[0]
    value, grad = O.style_loss(REF["f"], target)
    check("style_loss value", "style_loss(f, A)'s value", value)
    check("style_loss gradient", "style_loss(f, A)'s gradient", grad)


def test_total_variation():
    """style: tv_loss(x, beta) for beta 2 and 1.5."""
    for beta in (2.0, 1.5):
        value, grad = O.tv_loss(REF["f"], beta)
        check(f"tv_loss {beta} value", f"tv_loss(x, {beta})'s value", value)
        check(f"tv_loss {beta} gradient", f"tv_loss(x, {beta})'s gradient", grad)
