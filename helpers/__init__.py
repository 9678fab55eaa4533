"""Helpers for the book *Deconvolution and image generation*.

The notebooks in ``book/`` import what they need from the sub-modules::

    from helpers.device import get_device, set_seed
    from helpers.data import load_digits, load_sample_image
    from helpers.plotting import show_images

Importing this package has no side effects (nothing is downloaded, no seed
is set, no device is touched).
"""

__version__ = "0.1.0"
