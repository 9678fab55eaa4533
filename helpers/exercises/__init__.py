"""Self-check functions for the exercises, one module per chapter.

A self-check raises an ``AssertionError`` that says what is wrong, and
prints a short confirmation when the answer is right::

    from helpers.exercises.ch01 import check_output_size
    check_output_size(answer)
"""
