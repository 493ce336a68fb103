"""mesodesk: offline records for mesotherapy clinics."""

__version__ = "0.1.0"
APP_NAME = "mesodesk"
