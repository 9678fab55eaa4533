import matplotlib

matplotlib.use("Agg")  # tests never open windows


import pytest
import torch

# The tests use tiny tensors: one thread is as fast, and far faster on a busy 2-core machine,
# where PyTorch's default of one thread per core makes every small operation wait.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
