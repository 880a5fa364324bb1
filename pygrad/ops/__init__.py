"""Every differentiable op, one module per family. Each op is a Function subclass (forward on
arrays, backward in Tensor ops) plus a lowercase function that validates and calls it."""
