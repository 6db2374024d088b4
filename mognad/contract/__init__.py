"""The data contract: what municipalities deliver and what the platform answers.

- `reference`: municipalities, codebooks and other reference data the contract names.
- `problems`: the problem catalogue (codes and bilingual messages) every receipt quotes.
- `personnummer`: how a Swedish personal identity number is validated and normalised.
"""
