"""`python -m minicnn` and the `minicnn` command: the command line of cli.py."""
import signal
import sys


def run():
    """main() answers Ctrl-C with one line and status 130; this does the same while the command
    line's module is imported and before main() has set its own handlers."""
    try:
        from .cli import main
        return main()
    except KeyboardInterrupt:
        print("minicnn: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT


if __name__ == "__main__":
    sys.exit(run())
