"""`python -m minicnn` and the `minicnn` command: the command line of cli.py."""
import signal
import sys


def run():
    """main() answers Ctrl-C with one line and status 130; this does the same while the command
    line's module is imported and before main() has set its own handlers."""
    try:
        from .cli import main
        status = main()
    except KeyboardInterrupt:
        print("minicnn: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    signal.signal(signal.SIGINT, signal.SIG_IGN)     # the work is done and said: Ctrl-C now would only
    return status                                    # garble the exit (a library's atexit traceback)


if __name__ == "__main__":
    sys.exit(run())
