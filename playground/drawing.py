"""The Draw dataset's points in the app: a brush and an eraser, a CSV/JSON reader, and the compact text a link
carries (`points=`). No streamlit; `datasets.from_points` turns the points into a dataset."""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import zlib

import numpy as np

from playground.datasets import MAX_POINTS, MIN_POINTS

QUANTUM = 0.01          # a link stores coordinates on a 0.01 grid: 1/600 of the [−3, 3] window, below a pixel
FORMAT = "1"            # the link text's version prefix, before the first "."
URL_LIMIT = 6000        # characters of `points=`: longer links break in some mail clients and chat apps
BRUSH_POINTS = 12       # points a brush dab adds at each position it reports
BRUSH_SPREAD = 0.12     # their standard deviation (data units): a dab is a small blob, not a dot
ERASER_RADIUS = 0.3     # an eraser position removes the points within this distance
EMPTY = np.zeros((0, 2))


def quantise(points) -> np.ndarray:
    """Points on the link's 0.01 grid (what a link reproduces)."""
    return np.round(np.asarray(points, dtype=np.float64).reshape(-1, 2) / QUANTUM) * QUANTUM


def encode(points) -> str:
    """The points as link text: "1." then base64url (no padding) of zlib-compressed varints, the zig-zag deltas
    of the quantised x, y in order (painted points sit close together, so most deltas take one byte)."""
    grid = np.round(np.asarray(points, dtype=np.float64).reshape(-1, 2) / QUANTUM).astype(np.int64).ravel()
    deltas = np.diff(grid.reshape(-1, 2), axis=0, prepend=np.zeros((1, 2), np.int64)).ravel() if grid.size else grid
    data = bytearray()
    for value in deltas.tolist():
        value = (value << 1) ^ (value >> 63)  # zig-zag: small negatives stay small
        while value >= 0x80:
            data.append((value & 0x7F) | 0x80)
            value >>= 7
        data.append(value)
    packed = base64.urlsafe_b64encode(zlib.compress(bytes(data), 9)).decode().rstrip("=")
    return f"{FORMAT}.{packed}"


def decode(text: str) -> np.ndarray:
    """The points [n, 2] a link's text holds; ValueError (saying why) for text `encode` did not write."""
    version, dot, packed = str(text).partition(".")
    if not dot or version != FORMAT:
        raise ValueError("it is not a drawing this app wrote (no “1.” at its start)")
    try:
        data = zlib.decompress(base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4)),
                               bufsize=16 * 2 * MAX_POINTS)
    except (binascii.Error, ValueError, zlib.error):
        raise ValueError("its data is damaged (perhaps the link was cut short)") from None
    values, value, shift = [], 0, 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        shift += 7
        if shift > 63:
            raise ValueError("its data is damaged (a number is too long)")
        if not byte & 0x80:
            values.append((value >> 1) ^ -(value & 1))
            value, shift = 0, 0
    if shift or len(values) % 2 or len(values) > 2 * MAX_POINTS:
        raise ValueError(f"its data is damaged or holds more than {MAX_POINTS:,} points")
    deltas = np.array(values, dtype=np.int64).reshape(-1, 2)
    return np.cumsum(deltas, axis=0) * QUANTUM if len(deltas) else EMPTY.copy()


def fits_in_link(text: str) -> bool:
    return len(text) <= URL_LIMIT


def problem(text: str) -> str | None:
    """Why a link's `points=` text holds no drawing a run can use, or None (the empty text: the starter drawing)."""
    if not text:
        return None
    try:
        points = decode(text)
    except ValueError as error:
        return str(error)
    if len(points) < MIN_POINTS:
        return f"it holds {len(points)} points, fewer than the {MIN_POINTS} a drawing needs"
    return None


def brush(points, positions, rng: np.random.Generator, count: int = BRUSH_POINTS,
          spread: float = BRUSH_SPREAD) -> np.ndarray:
    """`points` plus `count` points drawn from N(position, spread² I) at each position, quantised, and never more
    than 5,000 in all (a full canvas stops taking paint)."""
    positions = np.asarray(positions, dtype=np.float64).reshape(-1, 2)
    dabs = positions.repeat(count, axis=0) + spread * rng.standard_normal((len(positions) * count, 2))
    combined = np.concatenate([np.asarray(points, dtype=np.float64).reshape(-1, 2), quantise(dabs)])
    return combined[:MAX_POINTS]


def erase(points, positions, radius: float = ERASER_RADIUS) -> np.ndarray:
    """`points` without those within `radius` of any position."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    positions = np.asarray(positions, dtype=np.float64).reshape(-1, 2)
    if not len(points) or not len(positions):
        return points
    near = (((points[:, None, :] - positions[None, :, :]) ** 2).sum(axis=2) <= radius**2).any(axis=1)
    return points[~near]


def read_file(data: bytes | str) -> np.ndarray:
    """Points from an uploaded file: CSV (x,y per line; a header line and other columns' absence allowed) or the
    JSON `to_json` writes. ValueError with the line at fault for anything else."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    if text.lstrip().startswith(("{", "[")):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"the file looks like JSON but is not ({error.msg}, line {error.lineno})") from None
        points = loaded.get("points") if isinstance(loaded, dict) else loaded
        try:
            array = np.asarray(points, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError("the JSON's points must be a list of [x, y] pairs") from None
        if array.ndim != 2 or array.shape[1:] != (2,):
            raise ValueError("the JSON's points must be a list of [x, y] pairs")
        return array
    rows = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if len(cells) != 2:
            raise ValueError(f"line {number} has {len(cells)} values; each line must be x,y")
        try:
            rows.append((float(cells[0]), float(cells[1])))
        except ValueError:
            if number == 1 and not rows:  # a header line such as "x,y"
                continue
            raise ValueError(f"line {number} (“{','.join(cells)[:40]}”) is not two numbers x,y") from None
    if not rows:
        raise ValueError("the file holds no x,y lines")
    return np.array(rows)


def to_json(points) -> str:
    """The points as a small JSON document (what a link too long for the address bar is saved as)."""
    return json.dumps({"format": "gan-playground-drawing", "quantum": QUANTUM,
                       "points": quantise(points).round(2).tolist()})
