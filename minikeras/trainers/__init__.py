"""What fit, evaluate and predict share."""
