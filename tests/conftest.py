import matplotlib

matplotlib.use("Agg")  # tests never open windows

# Before anything imports torch (OMP_WAIT_POLICY is read when torch loads): idle OpenMP
# threads sleep, and PyTorch uses one thread. The tests use tiny tensors: one thread is as
# fast, and far faster on a busy 2-core machine. See helpers.device.configure_threads.
from helpers.device import configure_threads  # noqa: E402

configure_threads(1)

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
