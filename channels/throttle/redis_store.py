"""Token buckets in Redis: one Lua script takes tokens from every bucket atomically, on Redis' clock
(so workers on machines with skewed clocks still agree). State per key: a hash {t: tokens, ts: time}
that expires once the bucket would be full again anyway."""

from __future__ import annotations

from collections.abc import Sequence

import redis

from . import Bucket, Store

TAKE = """
local n = tonumber(ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tokens = {}
local grant = n
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local s = redis.call('HMGET', key, 't', 'ts')
  local tk, ts = tonumber(s[1]), tonumber(s[2])
  if tk == nil or ts == nil then tk, ts = burst, now end
  local elapsed = now - ts
  if elapsed < 0 then elapsed = 0 end
  tk = math.min(burst, tk + elapsed * rate)
  tokens[i] = tk
  local whole = math.floor(tk + 1e-9)
  if whole < grant then grant = whole end
end
if grant < 0 then grant = 0 end
local wait = 0
for i, key in ipairs(KEYS) do
  local rate, burst = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
  local left = tokens[i] - grant
  if left < 1 then
    local w = (1 - left) / rate
    if w > wait then wait = w end
  end
  redis.call('HSET', key, 't', string.format('%.9f', left), 'ts', string.format('%.6f', now))
  redis.call('PEXPIRE', key, math.ceil((burst - left) / rate * 1000) + 1000)
end
return {grant, string.format('%.6f', wait)}
"""


class RedisStore(Store):
    def __init__(self, url: str, prefix: str = "nc:throttle:") -> None:
        self.client = redis.Redis.from_url(url)
        self.prefix = prefix
        self._script = self.client.register_script(TAKE)

    def take(self, buckets: Sequence[Bucket], n: int) -> tuple[int, float]:
        args: list = [n]
        for b in buckets:
            args += [repr(float(b.rate_per_s)), b.capacity]
        granted, wait = self._script(keys=[self.prefix + b.key for b in buckets], args=args)
        return int(granted), float(wait)

    def reset(self, keys: Sequence[str]) -> None:
        if keys:
            self.client.delete(*(self.prefix + k for k in keys))
