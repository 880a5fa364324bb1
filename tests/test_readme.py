"""The README's first example runs as written and its SGD step lowers the loss."""
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs_and_learns():
    block = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    scope = {}
    exec(compile(block, "README.md", "exec"), scope)
    F, pg = scope["F"], scope["pg"]
    x, y = scope["x"], scope["y"]
    w1, b1, w2, b2 = (scope[k] for k in ("w1", "b1", "w2", "b2"))
    with pg.no_grad():
        after = F.cross_entropy((x @ w1 + b1).sigmoid() @ w2 + b2, y).item()
    assert after < scope["loss"].item()
