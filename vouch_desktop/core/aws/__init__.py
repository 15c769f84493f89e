"""AWS through botocore: sessions and clients, discovery of instances and databases, SSM commands."""
