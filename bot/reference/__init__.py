"""Reference data the operator or the vendors publish: the price book, the term book, countries,
provider codes in words.
"""
