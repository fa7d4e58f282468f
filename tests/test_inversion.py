"""Feature inversion: the objective falls, the code is matched, random starts differ."""
import numpy as np

from minicnn import viz
from minicnn.viz.inversion import learning_rates

from nets import grey_net


def digit():
    net = grey_net(1)
    x = np.zeros((28, 28), np.uint8)
    x[6:22, 12:16] = 255                                          # a "1"
    return net, net.space.preprocess(x)


def test_the_objective_falls_over_the_first_steps_and_the_code_is_matched():
    net, x = digit()
    images, errors, energy, _ = viz.invert(net, x, "relu1", iterations=60, lambda_tv=0.05)
    assert all(b < a for a, b in zip(energy[:10], energy[1:11])), energy[:11]
    assert energy[-1] < 0.2 * energy[0] and errors[0] < 0.2
    assert images.shape == (1, 1, 28, 28)


def test_random_starts_give_different_images_with_similar_codes():
    net, x = digit()
    r = viz.run("invert", net, x, layers="pool1", restarts=2, iterations=60, lambda_tv=0.05)
    a, b = r.images[0]
    assert r.images.shape == (1, 2, 1, 28, 28) and not np.allclose(a, b)
    assert max(r.errors[0]) < 0.3 and r.lambda_tv == [0.05]


def test_the_learning_rate_schedule_is_the_authors():
    rates = learning_rates(0.004, 400)
    assert rates[0] == rates[99] == 0.004 and rates[100] == rates[299] == 0.004 * 0.1 and rates[399] == 0.004 * 0.01
    assert len(learning_rates(1.0, 40)) == 40 and learning_rates(1.0, 40)[-1] == 0.01
