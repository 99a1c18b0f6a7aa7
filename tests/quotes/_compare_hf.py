"""compare_hf's configurations, as the benchmark builds them: shared by the A1 and benchmarks registries
(a file starting with "_" is not a registry)."""


def mid_config():
    """compare_hf's `mid` configuration, as the benchmark builds it."""
    import importlib.util
    import sys

    import prose_numbers
    module = sys.modules.get("compare_hf")
    if module is None:
        spec = importlib.util.spec_from_file_location("compare_hf", prose_numbers.resolve("benchmarks/compare_hf.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules["compare_hf"] = module          # its dataclasses look their module up here
        spec.loader.exec_module(module)
    return module.make_config(next(c for c in module.CASES if c.name == "train-mid-v30522"), toy=False)

