"""Entry point of the PyInstaller bundle (build.spec): the same as `python -m mesodesk`."""

import sys

from mesodesk.cli import main

if __name__ == "__main__":
    sys.exit(main())
