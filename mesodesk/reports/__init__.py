"""Charts (matplotlib Figures) and the PDF summary (reportlab). No Qt; the domain only."""
