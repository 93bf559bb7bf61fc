"""Small MLPs: a generator z → x and a critic x → raw score s(x). No sigmoid inside the critic: classic GANs
read D(x) = sigmoid(s(x)) in their losses, WGANs use s(x) as the critic value f(x) directly."""

from __future__ import annotations

from torch import Tensor, nn

ACTIVATIONS: dict[str, type[nn.Module]] = {  # keys are URL ids
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "elu": nn.ELU,
}


def mlp(in_features: int, out_features: int, hidden_units: int, depth: int, activation: str) -> nn.Sequential:
    """`depth` hidden layers of `hidden_units`, each followed by the activation; a linear output layer."""
    layers: list[nn.Module] = []
    width = in_features
    for _ in range(depth):
        layers += [nn.Linear(width, hidden_units), ACTIVATIONS[activation]()]
        width = hidden_units
    layers.append(nn.Linear(width, out_features))
    return nn.Sequential(*layers)


class Generator(nn.Module):
    """G: latent z ∈ ℝ^latent_size → point x ∈ ℝ^data_size."""

    def __init__(self, latent_size: int = 2, hidden_units: int = 128, depth: int = 2,
                 activation: str = "relu", data_size: int = 2):
        super().__init__()
        self.latent_size = latent_size
        self.net = mlp(latent_size, data_size, hidden_units, depth, activation)

    def forward(self, z: Tensor) -> Tensor:
        return self.net(z)


class Critic(nn.Module):
    """The discriminator / critic: x → raw score s(x) ∈ ℝ (one number per point, shape [n])."""

    def __init__(self, hidden_units: int = 128, depth: int = 2, activation: str = "relu", data_size: int = 2):
        super().__init__()
        self.net = mlp(data_size, 1, hidden_units, depth, activation)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).squeeze(-1)
