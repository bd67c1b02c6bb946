"""The cache is an optimisation, never a dependency: every read and write here survives the cache server
being down (Redis stopped, unreachable, timing out). A read that fails is a miss, so the caller computes;
a write that fails is dropped. One warning is logged when the cache goes away and one line when it is back,
not one per call, so an outage does not flood the log.

Every use of the cache in the project goes through these functions (tests/security/test_cache_down.py
loads every page with the cache server killed).
"""

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.cache import cache

logger = logging.getLogger("dibao.cache")

_down = False  # per process; a race between threads at worst logs the same news twice


def _failed(operation: str, error: Exception) -> None:
    global _down
    if not _down:
        _down = True
        logger.warning("Cache unavailable (%s: %s: %s); computing without it until it answers again.",
                       operation, type(error).__name__, error)


def _answered() -> None:
    global _down
    if _down:
        _down = False
        logger.info("Cache answers again.")


def cache_get(key: str, default: Any = None) -> Any:
    try:
        value = cache.get(key, default)
    except Exception as error:  # any backend failure is a miss: the caller computes
        _failed("get", error)
        return default
    _answered()
    return value


def cache_get_many(keys: Iterable[str]) -> dict[str, Any]:
    keys = list(keys)
    if not keys:
        return {}
    try:
        found = cache.get_many(keys)
    except Exception as error:
        _failed("get_many", error)
        return {}
    _answered()
    return found


def cache_set(key: str, value: Any, timeout: int | None) -> bool:
    try:
        cache.set(key, value, timeout)
    except Exception as error:  # not stored: the next read computes again
        _failed("set", error)
        return False
    _answered()
    return True


def cache_set_many(values: Mapping[str, Any], timeout: int | None) -> bool:
    if not values:
        return True
    try:
        cache.set_many(dict(values), timeout)
    except Exception as error:
        _failed("set_many", error)
        return False
    _answered()
    return True


def cache_count(key: str, timeout: int) -> int | None:
    """Add one to a counter that lives `timeout` seconds from its first count; the new count, or None when
    the cache does not answer (a rate limit then lets the request through rather than answer 500)."""
    try:
        if cache.add(key, 1, timeout):
            value = 1
        else:
            try:
                value = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout)
                value = 1
    except Exception as error:
        _failed("count", error)
        return None
    _answered()
    return value


def cache_delete(key: str) -> bool:
    try:
        cache.delete(key)
    except Exception as error:
        _failed("delete", error)
def cache_delete_pattern(pattern: str) -> bool:
    """Delete the keys matching `pattern` (e.g. "reports:*"; a restore clears the dashboard's figures).

    On Redis only those keys go (the broker and other sites may share it); a cache without patterns is
    cleared whole. False when the cache did not answer: the keys may still be there.
    """
    try:
        if hasattr(cache, "delete_pattern"):
            cache.delete_pattern(pattern)
        else:
            cache.clear()
    except Exception as error:
        _failed("delete_pattern", error)
        return False
    _answered()
    return True
