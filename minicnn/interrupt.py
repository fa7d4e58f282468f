"""Ctrl-C that nothing loses. The command line's SIGINT handler raises KeyboardInterrupt, as
Python's own does, and also remembers it: a library being imported may swallow the exception
(a broad except around an optional import) or turn it into an ImportError that a fallback
catches, and the command would then run to the end. So a long loop's next step (progress.py)
and the moment a result is renamed into place (files.py) call check(), which raises it again.

    signal.signal(signal.SIGINT, interrupt.handler)     # cli.main
    interrupt.check()                                   # raises KeyboardInterrupt after a Ctrl-C
"""
_pressed = False


def handler(signum, frame):
    global _pressed
    _pressed = True
    raise KeyboardInterrupt


def check():
    """Raise KeyboardInterrupt if Ctrl-C was pressed since reset(), even if it was swallowed."""
    if _pressed:
        raise KeyboardInterrupt


def pressed():
    return _pressed


def reset():
    global _pressed
    _pressed = False
