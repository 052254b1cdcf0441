"""How well the classifier screens: metrics, the ISIC challenge scorer and `ham10k evaluate` (apart from
the tools a conversation calls)."""
