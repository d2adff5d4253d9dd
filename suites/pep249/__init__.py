"""The PEP 249 conformance suite; every test carries its clause IDs."""
