"""helpers.training: the loaders, the step, the epoch loop `fit` and the step loop `fit_tensors`."""

import pytest
import torch
from torch import nn

from helpers.training import (evaluate_accuracy, evaluate_loss, fit, fit_tensors, make_loader, predict,
                              train_step)


def _regression(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    return x, y


class _NaNLoss(nn.Module):
    def forward(self, prediction, target):
        return (prediction - target).pow(2).mean() * float("nan")


# ---------------------------------------------------------------- make_loader


def test_make_loader_batches_and_reproducible_shuffle():
    x, y = torch.arange(10.0)[:, None], torch.arange(10)
    loader = make_loader(x, y, batch_size=4)
    batches = list(loader)
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    assert batches[0][0].shape == (4, 1) and batches[0][1].shape == (4,)
    order = torch.cat([b[1] for b in batches])
    assert sorted(order.tolist()) == list(range(10)) and order.tolist() != list(range(10))
    again = torch.cat([b[1] for b in make_loader(x, y, batch_size=4)])
    assert torch.equal(order, again)                                       # same seed, same order
    in_order = torch.cat([b[1] for b in make_loader(x, y, batch_size=4, shuffle=False)])
    assert in_order.tolist() == list(range(10))


def test_make_loader_rejects_mismatched_lengths_with_a_clear_message():
    with pytest.raises(ValueError, match="same number of samples.*got 10 and 9"):
        make_loader(torch.zeros(10, 2), torch.zeros(9))


@pytest.mark.parametrize("call, error, match", [
    (lambda: make_loader(torch.zeros(0, 2), torch.zeros(0)), ValueError, "empty"),
    (lambda: make_loader(torch.zeros(4, 2), torch.zeros(4), batch_size=0), ValueError, "batch_size"),
    (lambda: make_loader([[0.0]], torch.zeros(1)), TypeError, "x must be a torch.Tensor"),
    (lambda: make_loader(torch.zeros(1, 1), [0]), TypeError, "y must be a torch.Tensor"),
])
def test_make_loader_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- train_step, evaluation


def test_train_step_returns_the_loss_and_changes_the_weights():
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    x, y = _regression(16)
    before = model.weight.detach().clone()
    loss = train_step(model, x, y, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.1))
    assert isinstance(loss, float) and loss > 0
    assert not torch.equal(before, model.weight)


def test_train_step_rejects_a_batch_mismatch():
    model = nn.Linear(3, 1)
    with pytest.raises(ValueError, match="3 predictions for a batch of 4 targets"):
        train_step(model, torch.zeros(3, 3), torch.zeros(4, 1), nn.MSELoss(),
                   torch.optim.SGD(model.parameters(), lr=0.1))


def test_train_step_raises_on_a_nan_loss_and_leaves_the_weights_alone():
    model = nn.Linear(3, 1)
    before = model.weight.detach().clone()
    with pytest.raises(FloatingPointError, match="^loss became NaN; try a lower learning rate"):
        train_step(model, torch.ones(4, 3), torch.zeros(4, 1), _NaNLoss(),
                   torch.optim.SGD(model.parameters(), lr=0.1))
    assert torch.equal(before, model.weight)


def test_evaluate_loss_predict_and_accuracy():
    model = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        model.weight.copy_(torch.eye(2))                                    # logits = inputs
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0], [0.0, 3.0]])
    y = torch.tensor([0, 1, 1, 1])
    assert predict(model, x, batch_size=3).shape == (4, 2)
    assert torch.equal(predict(model, x, batch_size=3), x)
    assert evaluate_accuracy(model, x, y) == 0.75
    loader = make_loader(x, x, batch_size=3, shuffle=False)
    assert evaluate_loss(model, loader, nn.MSELoss()) == 0.0
    with pytest.raises(ValueError, match="no batches"):
        evaluate_loss(model, [], nn.MSELoss())
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        predict(model, [[1.0, 2.0]])
    with pytest.raises(ValueError, match="same number of samples"):
        evaluate_accuracy(model, x, y[:3])


# ---------------------------------------------------------------- fit


def test_fit_decreases_the_loss_on_a_toy_regression():
    torch.manual_seed(0)
    x, y = _regression()
    model = nn.Linear(3, 1)
    history = fit(model, make_loader(x, y, batch_size=16), nn.MSELoss(),
                  torch.optim.SGD(model.parameters(), lr=0.05), epochs=30, progress=False,
                  val_loader=make_loader(x, y, batch_size=64, shuffle=False))
    assert sorted(history) == ["train_loss", "val_loss"]
    assert len(history["train_loss"]) == len(history["val_loss"]) == 30
    assert history["train_loss"][-1] < 0.01 * history["train_loss"][0]
    assert history["val_loss"][-1] < 1e-3
    assert torch.allclose(model.weight, torch.tensor([[1.0, -2.0, 0.5]]), atol=0.02)


@pytest.mark.parametrize("epochs, error, match", [
    (0, ValueError, "epochs must be >= 1, got 0"), (-1, ValueError, "epochs must be >= 1, got -1"),
    (2.0, TypeError, "epochs must be an int, not float"), (True, TypeError, "epochs must be an int, not bool"),
    ("3", TypeError, "epochs must be an int, not str"),
])
def test_fit_rejects_a_bad_number_of_epochs(epochs, error, match):
    model = nn.Linear(3, 1)
    with pytest.raises(error, match=match):
        fit(model, make_loader(*_regression(8)), nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.1),
            epochs=epochs, progress=False)


def test_fit_raises_on_nan_loss_and_on_an_empty_loader():
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(FloatingPointError):
        fit(model, make_loader(*_regression(8)), _NaNLoss(), opt, epochs=1, progress=False)
    with pytest.raises(ValueError, match="no batches"):
        fit(model, [], nn.MSELoss(), opt, epochs=1, progress=False)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        fit(lambda x: x, [], nn.MSELoss(), opt, epochs=1, progress=False)


def test_fit_diverges_loudly_with_a_huge_learning_rate():
    torch.manual_seed(0)
    x, y = _regression()
    model = nn.Linear(3, 1)
    with pytest.raises(FloatingPointError, match="learning rate"):
        fit(model, make_loader(x, y, batch_size=64), nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=10.0),
            epochs=200, progress=False)


# ---------------------------------------------------------------- fit_tensors


def test_fit_tensors_records_loss_and_metrics_per_step():
    torch.manual_seed(0)
    x, y = _regression()
    model = nn.Linear(3, 1)
    history = fit_tensors(model, x, y, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.1), steps=100,
                          metrics={"w0": lambda m: m.weight[0, 0], "bias": lambda m: m.bias.item()},
                          progress=False)
    assert sorted(history) == ["bias", "loss", "w0"]
    assert all(len(v) == 100 for v in history.values())
    assert all(isinstance(v, float) for v in history["w0"])
    assert history["loss"][-1] < 1e-4 * history["loss"][0]
    assert history["bias"][-1] == pytest.approx(0.3, abs=1e-2)


def test_fit_tensors_equals_hand_written_gradient_descent():
    torch.manual_seed(0)
    x, y = _regression(32)
    model = nn.Linear(3, 1, bias=False)
    w = model.weight.detach().clone().requires_grad_(True)
    history = fit_tensors(model, x, y, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.2), steps=20,
                          progress=False)
    hand = []
    for _ in range(20):
        loss = ((x @ w.T - y) ** 2).mean()
        loss.backward()
        hand.append(loss.item())
        with torch.no_grad():
            w -= 0.2 * w.grad
        w.grad = None
    assert history["loss"] == pytest.approx(hand, rel=1e-5)
    assert torch.allclose(model.weight, w, atol=1e-6)


def test_fit_tensors_metrics_see_the_parameters_before_each_step():
    model = nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(0.0)
    x = torch.ones(4, 1)
    history = fit_tensors(model, x, 2 * x, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.25), steps=3,
                          metrics={"w": lambda m: m.weight.item()}, progress=False)
    # w ← w − 0.25 · 2(w − 2): 0 → 1 → 1.5 → 1.75 ; the loss is (w − 2)² at the same w
    assert history["w"] == [0.0, 1.0, 1.5]
    assert history["loss"] == pytest.approx([4.0, 1.0, 0.25])
    assert model.weight.item() == pytest.approx(1.75)


def test_fit_tensors_rejects_mismatched_shapes_with_a_clear_message():
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="same number of samples.*got 8 and 7"):
        fit_tensors(model, torch.zeros(8, 3), torch.zeros(7, 1), nn.MSELoss(), opt, steps=1, progress=False)
    with pytest.raises(ValueError, match="empty"):
        fit_tensors(model, torch.zeros(0, 3), torch.zeros(0, 1), nn.MSELoss(), opt, steps=1, progress=False)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"steps": 0}, ValueError, "steps must be >= 1, got 0"),
    ({"steps": 1.5}, TypeError, "steps must be an int, not float"),
    ({"steps": 2, "metrics": {"loss": lambda m: 0.0}}, ValueError, "'loss' is recorded anyway"),
    ({"steps": 2, "metrics": {"w": 3.0}}, TypeError, "metric 'w' must be a function"),
])
def test_fit_tensors_bad_arguments(kwargs, error, match):
    model = nn.Linear(3, 1)
    with pytest.raises(error, match=match):
        fit_tensors(model, torch.zeros(4, 3), torch.zeros(4, 1), nn.MSELoss(),
                    torch.optim.SGD(model.parameters(), lr=0.1), progress=False, **kwargs)


def test_fit_tensors_raises_when_the_loss_blows_up():
    torch.manual_seed(0)
    x, y = _regression()
    model = nn.Linear(3, 1)
    with pytest.raises(FloatingPointError, match=r"^loss became (inf|NaN) at step \d+; try a lower learning rate"):
        fit_tensors(model, x, y, nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=5.0), steps=500,
                    progress=False)


# ---------------------------------------------------------------- the step loop


def _loss_that_becomes_nan_at(step, model):
    """A loss of ``model`` that is finite for ``step − 1`` calls and NaN from call ``step`` on."""
    calls = []

    def loss():
        calls.append(1)
        value = model.weight.pow(2).sum()
        return value * float("nan") if len(calls) >= step else value
    return loss


def test_run_steps_stops_at_the_step_the_loss_becomes_nan_and_keeps_the_last_finite_weights():
    from helpers.training import run_steps

    model, reference = nn.Linear(3, 1, bias=False), nn.Linear(3, 1, bias=False)
    reference.load_state_dict(model.state_dict())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(FloatingPointError, match="^loss became NaN at step 5; try a lower learning rate"):
        run_steps(model, _loss_that_becomes_nan_at(5, model), opt, steps=10, progress=False)
    # the same four finite steps by hand: the NaN never reached the weights
    ref_opt = torch.optim.SGD(reference.parameters(), lr=0.1)
    for _ in range(4):
        ref_opt.zero_grad()
        reference.weight.pow(2).sum().backward()
        ref_opt.step()
    assert torch.isfinite(model.weight).all() and torch.equal(model.weight, reference.weight)


def test_train_ddpm_and_train_superres_stop_with_the_step_of_the_nan():
    from helpers.diffusion import NoiseSchedule, TinyUNet, train_ddpm
    from helpers.superres import SRNet, train_superres

    net = TinyUNet(8, base=8)
    with torch.no_grad():
        net.out[-1].bias.fill_(float("nan"))                     # the first prediction is NaN
    with pytest.raises(FloatingPointError, match="^loss became NaN at step 1; try a lower learning rate"):
        train_ddpm(net, torch.zeros(8, 1, 8, 8), NoiseSchedule(10), steps=3, batch_size=4, progress=False)
    sr = SRNet(width=4)
    with torch.no_grad():
        next(sr.parameters()).fill_(float("inf"))
    with pytest.raises(FloatingPointError, match="at step 1; try a lower learning rate"):
        train_superres(sr, torch.rand(4, 1, 8, 8), steps=3, batch_size=2, progress=False)


def test_train_steps_is_adam_with_a_cosine_schedule_and_an_ema():
    from helpers.training import ema_decay_at, train_steps

    x = torch.randn(16, 2, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    model, by_hand = nn.Linear(2, 1), nn.Linear(2, 1)
    by_hand.load_state_dict(model.state_dict())
    history = train_steps(model, lambda: model(x).pow(2).mean(), steps=6, lr=0.1, ema_decay=0.9,
                          progress=False)
    opt = torch.optim.Adam(by_hand.parameters(), lr=0.1)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6)
    ema = [p.detach().clone() for p in by_hand.parameters()]
    losses = []
    for step in range(1, 7):
        loss = by_hand(x).pow(2).mean()
        losses.append(float(loss.detach()))
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        d = ema_decay_at(step, 0.9)
        ema = [d * e + (1 - d) * p.detach() for e, p in zip(ema, by_hand.parameters())]
    assert history["loss"] == pytest.approx(losses, abs=1e-7)
    for p, e in zip(model.parameters(), ema):          # the model ends with the averaged weights
        assert torch.allclose(p, e, atol=1e-7)
    assert not torch.allclose(model.weight, by_hand.weight, atol=1e-4)   # which differ from the last ones
    assert history["seconds"] > 0
