import matplotlib

matplotlib.use("Agg")  # tests never open windows


import pytest


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
