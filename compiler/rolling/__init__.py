"""Models solved many times: rolling windows, sweeps, backtests, and the engines that run them."""
