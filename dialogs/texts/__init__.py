"""Everything a leader reads from the dialogs, in Norwegian bokmål, one catalogue per flow.

Texts from the form itself (headings, questions, labels) are never here: they come from the
agreement template, word for word.
"""
