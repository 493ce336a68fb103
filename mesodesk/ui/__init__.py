"""The only package that imports PySide6: windows, dialogs, item models, the job runner."""
