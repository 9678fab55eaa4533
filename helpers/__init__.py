"""Helpers for the book *Deconvolution and image generation*.

The notebooks in ``book/`` import what they need from the sub-modules::

    from helpers.device import get_device, set_seed
    from helpers.data import load_digits, load_sample_image
    from helpers.plotting import show_images

Importing this package has no side effects (nothing is downloaded, no seed
is set, no device is touched).

Which chapter teaches what
--------------------------
Each module holds the code of one idea. It is *taught* in one chapter (the
chapter that explains it and shows its core in a cell) and *reused* by later
ones; every public function's docstring names its chapter and section
("Taught in chapter 02, §2.3"), as d2l does.

=========================  =================================================  ==================
module                     taught in                                          reused in
=========================  =================================================  ==================
``device``, ``bootstrap``  the setup cell of every chapter                    all
``data``                   01: sample photos (§1.1), 8×8 digits (§1.10);      02–05
                           04: the ring of Gaussians (§4.9); MNIST (CLI)
``plotting``               01: images, kernels, loss curves                   03, 04, 05
``interactive``            01–05: ``glue``; 02 §2.9: ``computed_figure``;     all
                           04 §4.6: ``frame_slider``
``cnn``                    01: convolution by hand (§1.1), receptive field    04 (the metric's
                           (§1.9), ``DigitsCNN`` (§1.10)                      classifier), 05
``training``               01 §1.10: ``fit``; 03 §3.1: ``fit_tensors``;       all training
                           04 §4.5: the EMA of weights; 05 §5.4–5.5:          chapters
                           ``train_steps`` (one step loop for all)
``conv_math``              01 §1.3: output size; 02 §2.1–2.6: the matrix,     03, 05
                           scatter and gather, ``output_padding``, overlap
``widgets``                02 §2.6, §2.9: the size calculator, overlaps       —
``imaging``                02 §2.7: blur, PSNR, the inverse filter;           03, 04, 05
                           03 §3.5: regularised and Wiener deconvolution,
                           the FFT power spectrum (``fft_power``)
``kernels``                03: least squares, step sizes, bilinear kernels,   05
                           checkerboard strength, PSNR per image
``models``                 04 §4.3: DCGAN generator and discriminator         05
``gan`` (package)          04: losses, the two steps, the loop, checkpoints,  05
                           sampling, the command line
``metrics``                04 §4.7: FD, coverage, precision/recall;           05
                           §4.11: spectra and checkerboard energy
``conditional``            05 §5.1: class-conditional GAN diagnostics         —
``attention``              05 §5.2: self-attention (SAGAN)                    —
``receptive_field``        05 §5.2: footprints of transposed-conv stacks      —
``aliasing``               05 §5.3: low-pass upsampling, shift equivariance   —
``diffusion``              05 §5.4: a tiny DDPM                               —
``superres``               05 §5.5: super-resolution                          —
``exercises.chNN``         chapter NN's exercise self-checks                  —
``checks``, ``rng``        not taught: argument checks and seeded             every module
                           randomness that every module uses
=========================  =================================================  ==================

Where a new chapter's code goes
-------------------------------
* The code a new chapter teaches goes into a new module named after the
  *idea* (``helpers/flows.py``, not ``helpers/ch06.py``), with a
  ``tests/test_<module>.py``; its exercise checks go into
  ``helpers/exercises/chNN.py``. Add a row to the table above and a
  "Taught in chapter NN, §NN.M" line to each public docstring.
* If the chapter extends an idea that already has a module, extend that
  module (and add "reused in chapter NN" to what it reuses) rather than
  writing the idea again: one implementation of each piece of mathematics.
* A module imports only modules of its own or earlier chapters (and
  ``checks``/``rng``); later chapters build on earlier ones, not the
  reverse.
* Use the shared pieces: argument checks from :mod:`helpers.checks`;
  seeds through private ``torch.Generator`` objects or
  :func:`helpers.rng.seeded`, never ``set_seed`` or ``torch.manual_seed``
  (``tests/test_rng_hygiene.py`` enforces it); a fixed number of gradient
  steps through :func:`helpers.training.run_steps` /
  :func:`helpers.training.train_steps`; the moving average of weights
  through :func:`helpers.training.update_ema`.
"""

__version__ = "0.1.0"
