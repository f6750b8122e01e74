"""Entry point of the frozen Hearth app (PyInstaller runs this as ``__main__``)."""
import multiprocessing
import sys

if __name__ == "__main__":
    # First: in a frozen app the llama.cpp worker (a "spawn" child) is this executable
    # re-run with multiprocessing's arguments; freeze_support() runs the child and exits.
    multiprocessing.freeze_support()
    from desktop.cli.main import main
    sys.exit(main())
