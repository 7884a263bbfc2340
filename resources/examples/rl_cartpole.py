"""Reinforcement learning: REINFORCE with a learned baseline balances a pole on a cart.

The environment is CartPole written in numpy right here (Barto, Sutton & Anderson's
dynamics, as in Gym's CartPole-v1): a 4-number state, 2 actions (push left or right),
+1 reward per step, the episode ends when the pole tips past 12 degrees, the cart leaves
[-2.4, 2.4] or 500 steps pass. Every episode has a different length, so the loss is
built over a graph of a different size each time: define-by-run at work.

Training stops once the last 100 training episodes average 475 (CartPole-v1's own
line), then the greedy policy plays 100 fresh episodes.

Bar: those 100 consecutive episodes average a return >= 195 (CartPole's classic
"solved" line; a random policy averages about 22).

    python resources/examples/rl_cartpole.py
    python resources/examples/rl_cartpole.py --episodes 300 --seed 1
"""

from __future__ import annotations

import argparse
import math
import time
from collections import deque

import numpy as np

import core
import core.nn as nn
import core.nn.functional as F
from core.distributions import Categorical


class CartPole:
    """Gym's CartPole-v1 in numpy: ``reset() -> state``; ``step(action) -> state, reward, done``."""

    gravity, mass_cart, mass_pole, half_length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    theta_limit, x_limit, max_steps = 12 * 2 * math.pi / 360, 2.4, 500

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.state = (0.0, 0.0, 0.0, 0.0)
        self.steps = 0

    def reset(self) -> np.ndarray:
        self.state = tuple(self.rng.uniform(-0.05, 0.05, size=4))
        self.steps = 0
        return np.array(self.state, dtype=np.float32)

    def step(self, action: int) -> tuple[np.ndarray, float, bool]:
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        total_mass = self.mass_cart + self.mass_pole
        pole_ml = self.mass_pole * self.half_length
        cos, sin = math.cos(theta), math.sin(theta)
        temp = (force + pole_ml * theta_dot**2 * sin) / total_mass
        theta_acc = (self.gravity * sin - cos * temp) / (
            self.half_length * (4.0 / 3.0 - self.mass_pole * cos**2 / total_mass)
        )
        x_acc = temp - pole_ml * theta_acc * cos / total_mass
        # Explicit Euler, as Gym does.
        x, x_dot = x + self.tau * x_dot, x_dot + self.tau * x_acc
        theta, theta_dot = theta + self.tau * theta_dot, theta_dot + self.tau * theta_acc
        self.state = (x, x_dot, theta, theta_dot)
        self.steps += 1
        fallen = abs(x) > self.x_limit or abs(theta) > self.theta_limit
        done = fallen or self.steps >= self.max_steps
        return np.array(self.state, dtype=np.float32), 1.0, done


def mlp(out_features: int, hidden: int) -> nn.Module:
    return nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, out_features))


def play(env: CartPole, policy: nn.Module, greedy: bool = False):
    """One episode; returns its states (T, 4), actions (T,) and rewards (T,)."""
    states, actions, rewards = [], [], []
    state, done = env.reset(), False
    while not done:
        with core.no_grad():
            logits = policy(core.from_numpy(state))
        action = logits.argmax() if greedy else Categorical(logits=logits).sample()
        states.append(state)
        actions.append(action.item())
        state, reward, done = env.step(actions[-1])
        rewards.append(reward)
    return np.stack(states), np.array(actions), np.array(rewards)


def discounted_returns(rewards: np.ndarray, gamma: float) -> np.ndarray:
    returns = np.empty(len(rewards), dtype=np.float32)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = rewards[t] + gamma * running
        returns[t] = running
    return returns


def evaluate(policy: nn.Module, episodes: int, seed: int) -> float:
    """Mean return of the greedy policy over ``episodes`` fresh episodes."""
    env = CartPole(seed)
    return float(np.mean([play(env, policy, greedy=True)[2].sum() for _ in range(episodes)]))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1000, help="training episodes at most")
    parser.add_argument("--eval-episodes", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--gamma", type=float, default=0.99)
    parser.add_argument("--stop-at", type=float, default=475, help="last-100 mean return")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    core.manual_seed(args.seed)  # seeds the initial weights and the sampled actions
    env = CartPole(args.seed)
    policy, baseline = mlp(2, args.hidden), mlp(1, args.hidden)
    optimizer = core.optim.Adam([*policy.parameters(), *baseline.parameters()], lr=args.lr)

    recent = deque(maxlen=100)  # returns of the last 100 training episodes
    first_solved = None  # the episode where they first averaged >= 195
    start = time.perf_counter()
    for episode in range(1, args.episodes + 1):
        states, actions, rewards = play(env, policy)
        returns = core.from_numpy(discounted_returns(rewards, args.gamma))
        states, actions = core.from_numpy(states), core.from_numpy(actions)

        # The graph below spans this episode's T steps, whatever T is.
        values = baseline(states).squeeze(1)  # (T,)
        advantage = returns - values.detach()
        advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8)
        log_probs = Categorical(logits=policy(states)).log_prob(actions)  # (T,)
        loss = -(log_probs * advantage).mean() + F.smooth_l1_loss(values, returns)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        recent.append(float(rewards.sum()))
        full = len(recent) == recent.maxlen
        if first_solved is None and full and np.mean(recent) >= 195:
            first_solved = episode
        if episode % 50 == 0:
            print(f"episode {episode:4d}  last-100 mean return {np.mean(recent):6.1f}")
        if full and np.mean(recent) >= args.stop_at:
            break
    train_seconds = time.perf_counter() - start
    print(
        f"trained {episode} episodes in {train_seconds:.1f}s: last-100 mean return "
        f"{np.mean(recent):.1f} (first >= 195 at episode {first_solved})"
    )

    eval_return = evaluate(policy, args.eval_episodes, seed=args.seed + 10_000)
    n = args.eval_episodes
    print(f"greedy policy, {n} new episodes: mean return {eval_return:.1f} (bar >= 195)")
    return {
        "episodes": episode,
        "first_solved": first_solved,
        "train_mean_return": float(np.mean(recent)),
        "eval_mean_return": eval_return,
        "seconds": train_seconds,
    }


if __name__ == "__main__":
    main()
