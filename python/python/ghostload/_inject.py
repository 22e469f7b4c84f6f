"""The bridge the Rust pipeline calls for a Python injector (private)."""

from __future__ import annotations

from typing import Any, Optional, Tuple


def call(injector: Any, buffer: bytearray, info: dict) -> Tuple[str, int, Optional[int], bool]:
    """Shows ``buffer`` (the meter's series, little-endian float64) to
    ``injector.inject`` as a writable NumPy array, and returns what it did."""
    import numpy as np

    from . import Injection, InjectionContext

    series = np.frombuffer(buffer, dtype="<f8")
    out = injector.inject(series, InjectionContext(**info))
    if not isinstance(out, Injection):
        raise TypeError(
            f"{type(injector).__name__}.inject must return ghostload.Injection, not {type(out).__name__}"
        )
    end = None if out.end is None else int(out.end)
    return (str(out.anomaly_type), int(out.onset), end, bool(out.is_theft))
