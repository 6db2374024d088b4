"""The delivery guide (docs/leverans) and the delivery templates, generated from the contract."""
