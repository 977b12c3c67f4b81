package org.sieveml.features.redis;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.sieveml.core.EntityKey;
import org.sieveml.features.OnlineCommit;
import org.sieveml.features.OnlineRow;
import org.sieveml.features.OnlineStore;
import org.sieveml.features.OnlineStoreUnavailableException;
import org.sieveml.features.WindowTiles;
import org.sieveml.features.internal.RowCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link OnlineStore} on Redis (a single server or a Redis Cluster), shared by every replica of a
 * service, with a Caffeine near-cache of rows in each replica on a single server. A host switches to it
 * from the embedded store by passing it to {@code FeatureStore.builder(registry).onlineStore(...)};
 * nothing else changes.
 *
 * <p><b>Keys.</b> Every key of one entity carries the entity key as a Redis hash tag, so all of an
 * entity's keys (every view, rows and tiles) live in one cluster slot:
 * <ul>
 *   <li>{@code <prefix>:r:{<key>}:<view>} — the entity's latest row of a view (a string);
 *   <li>{@code <prefix>:t:{<key>}:<view>} — the entity's window tiles of an aggregation view (a string);
 *   <li>{@code <prefix>:mark:<name>} — a mark (a decimal string).
 * </ul>
 * {@code <key>} is {@code <name>=<L|S><value>} per key column, joined by {@code |}; names, string values,
 * view and mark names are percent-escaped ({@code % : | = { }}), so the tag never ends early and views
 * never collide.
 *
 * <p><b>Rows.</b> A row value is the ASCII header {@code <event>,<created>,<version>;} (version with
 * {@code % , ;} percent-escaped), a format byte ({@value #FORMAT}), the row (self-describing binary,
 * {@link RowCodec} format 2; never Java serialization) and a CRC32C. Values of format 1 (header
 * {@code <event>,<created>;}) are still read, as version {@code ""}. Writes go through one Lua script per
 * batch (per slot on a cluster) that keeps, per key, the newer row exactly as
 * {@link OnlineRow#isNewerThan}: a stored value of another version (or of format 1) is always replaced,
 * within one version a later event time, then a later or equal created time wins (times compared as
 * exact 64-bit integers), so an older event never overwrites a newer one whichever replica writes.
 * Batches of {@code batchSize} rows are sent without waiting for each other. Reads fetch all missing
 * keys with one {@code MGET} (one per slot on a cluster, sent together).
 *
 * <p><b>Tiles.</b> A tile value is a format byte (1), the number of fields (4 bytes), the version
 * (2-byte length, UTF-8), then per tile in (length, start) order: length, start and the three times as
 * 8-byte big-endian integers with the sign bit flipped (so byte order is numeric order), then the
 * {@code 1 + 4 * fields} statistics as 8-byte IEEE doubles — bit exact, infinities and signed zeros
 * included. {@link #addTiles} is one Lua script per batch (per slot on a cluster) applying exactly
 * {@link WindowTiles#merge} per key (sums with IEEE addition, minimum and maximum with
 * {@link Math#min(double, double)} / {@link Math#max(double, double)} semantics); untouched tiles are
 * copied byte for byte. {@link #putTiles} replaces whole sets in one script per batch (an empty set
 * deletes the key); {@link #readTiles} is one {@code MGET} per slot. Tile reads bypass the near-cache.
 *
 * <p><b>Tile expiry.</b> So that inactive entities vanish, a tile key written by {@link #addTiles} gets
 * {@code PEXPIRE = max over its tiles of (start - keepFrom(length) + 1) + grace}: the time until the
 * retention of that write, advancing with the clock, would drop the key's last tile, plus a grace period
 * ({@link Builder#tileExpiryGrace}, default one hour) that absorbs clocks which do not advance with the
 * server's (tests, replays). A key holding a tile whose length the retention does not bound, a write
 * with {@link WindowTiles.Retention#ALL}, or a store built with {@link Builder#noTileExpiry()} gets no
 * expiry. {@link #putTiles} has no retention: it uses the last retention this store instance passed to
 * {@link #addTiles} for the view, and no expiry when there was none. An entity whose tile key expired
 * reads as having no tiles (NOT_FOUND) where the embedded store, which drops tiles only when the key is
 * written, would still hold tiles older than every window.
 *
 * <p><b>History</b> ({@link #keepHistory}, for as-of reads; off by default): each write script also
 * records, in the same script (so atomically with the write), the key's change in a sorted set
 * {@code <key>:h} (same hash tag, same slot) scored by the write's stamp (the history clock, never
 * below the set's latest score), trimmed to the horizon in the same script and expiring after it; a
 * key not changed within the horizon has no set and its current value answers. {@link #readAsOf} and
 * {@link #readTilesAsOf} run one read script per slot group. {@link #erase} and {@link #clear} remove
 * the sets with the values. Every replica writing to the same prefix must keep the same history.
 *
 * <p><b>Near-cache.</b> On a single server, rows (and absences) read from Redis are kept in a bounded
 * Caffeine cache with a time-to-live. The connection subscribes to Redis 6+ client-side-caching
 * invalidations in broadcast mode for the row keys ({@code CLIENT TRACKING ON BCAST PREFIX <prefix>:r:}),
 * so a write by any replica evicts the key from every replica's near-cache; a read that raced with an
 * invalidation is not cached. When the connection drops, the near-cache is cleared and bypassed until
 * tracking is re-established on the new connection, so an invalidation missed while disconnected can
 * never leave a stale row behind. {@link #nearCacheHitRate()} reports the hit rate. <b>On a cluster
 * the near-cache is off</b> (tracking would have to follow every node connection): every read goes to
 * Redis.
 *
 * <p><b>Cluster, AUTH and TLS.</b> {@link Builder#cluster(boolean)} connects to a Redis Cluster through
 * Lettuce's cluster client (the URI is a seed node; the topology is discovered). Credentials
 * ({@link Builder#password(char[])}, {@link Builder#username(String)}, or the URI's
 * {@code redis://user:password@host}) and TLS ({@link Builder#tls(boolean)} or {@code rediss://}) are
 * passed to Lettuce, for every node of a cluster.
 *
 * <p><b>Failures.</b> Every command has the configured timeout; while the server is unreachable,
 * commands are rejected at once instead of queued. A failed read or write throws
 * {@link OnlineStoreUnavailableException} naming the server, the operation and the cause; it never
 * serves a possibly stale value. The client reconnects by itself and the store works again as soon as
 * the server is back.
 *
 * <p>Thread-safety: thread-safe; one multiplexed connection serves all threads.
 */
public final class RedisOnlineStore implements OnlineStore {

  private static final Logger LOG = LoggerFactory.getLogger(RedisOnlineStore.class);
  /** The row value format written (1 is still read). */
  private static final byte FORMAT = 2;
  /** The tile value format. */
  private static final byte TILE_FORMAT = 1;
  private static final long SIGN = Long.MIN_VALUE;

  /** Lua: exact comparison of two canonical decimal integers (as Java's Long.toString writes them). */
  private static final String LUA_CMPINT = """
      local function cmpint(a, b)
        if a == b then return 0 end
        local na, nb = string.byte(a, 1) == 45, string.byte(b, 1) == 45
        if na ~= nb then
          if na then return -1 end
          return 1
        end
        local r = 0
        if #a ~= #b then
          if #a < #b then r = -1 else r = 1 end
        else
          for j = 1, #a do
            local x, y = string.byte(a, j), string.byte(b, j)
            if x ~= y then
              if x < y then r = -1 else r = 1 end
              break
            end
          end
        end
        if na then r = -r end
        return r
      end
      """;

  /**
   * Lua: the history of as-of reads, kept by every write script in the same script (so atomically with
   * the write). The last two ARGV of every write are the stamp (decimal epoch ms; empty: no history)
   * and the horizon in ms. {@code hist(k, old, new)} records in the sorted set {@code k .. ':h'} (same
   * hash tag, same slot) the change of key {@code k} from {@code old} to {@code new} (false or empty:
   * absent): on the first change the state before it (score -inf), then the new state scored by the
   * stamp (never below the latest score); members are {@code <stamp>,<8-digit sequence>;<value>}, so
   * equal values stay distinct and, at one score, the later write sorts last. Entries older than the
   * newest one at or before {@code stamp - horizon} are removed; a set left with one entry (which the
   * current value equals) is deleted; otherwise it expires after the horizon (after which the current
   * value answers for the whole horizon).
   */
  private static final String LUA_HISTORY = """
      local HS, HZ = ARGV[#ARGV - 1], ARGV[#ARGV]
      local function hist(k, old, new)
        if HS == '' then return end
        local h = k .. ':h'
        local stamp = tonumber(HS)
        local seq = 0
        local last = redis.call('ZREVRANGE', h, 0, 0, 'WITHSCORES')
        if #last == 0 then
          redis.call('ZADD', h, '-inf', '-inf,00000000;' .. (old or ''))
        elseif last[2] ~= '-inf' then
          local ls = tonumber(last[2])
          if ls >= stamp then
            stamp = ls
            local c = string.find(last[1], ',', 1, true)
            seq = tonumber(string.sub(last[1], c + 1, c + 8)) + 1
          end
        end
        local st = string.format('%.0f', stamp)
        redis.call('ZADD', h, st, st .. ',' .. string.format('%08d', seq) .. ';' .. (new or ''))
        local keep = redis.call('ZREVRANGEBYSCORE', h, string.format('%.0f', stamp - tonumber(HZ)), '-inf',
          'WITHSCORES', 'LIMIT', 0, 1)
        if #keep > 0 then
          redis.call('ZREMRANGEBYSCORE', h, '-inf', '(' .. keep[2])
        end
        if redis.call('ZCARD', h) <= 1 then
          redis.call('DEL', h)
        else
          redis.call('PEXPIRE', h, HZ)
        end
      end
      """;

  /**
   * Per key KEYS[i], ARGV[1] the as-of time: the state the history set {@code KEYS[i] .. ':h'} had then
   * (empty: absent), or the current value when the key has no history (not changed within the horizon).
   */
  static final String READ_AS_OF_SCRIPT = """
      local out = {}
      for i = 1, #KEYS do
        local h = KEYS[i] .. ':h'
        local e = redis.call('ZREVRANGEBYSCORE', h, ARGV[1], '-inf', 'LIMIT', 0, 1)
        if #e > 0 then
          out[i] = string.sub(e[1], string.find(e[1], ';', 1, true) + 1)
        else
          out[i] = redis.call('GET', KEYS[i]) or ''
        end
      end
      return out
      """;

  /** Lua: {@code writeRows(K, ko, n, V, vo)}, {@link #WRITE_SCRIPT} over K[ko+1..ko+n] and V[vo+1..vo+n]. */
  private static final String LUA_WRITE_ROWS = LUA_CMPINT + """
      local function header(v)
        return string.match(v, '^(%-?%d+),(%-?%d+),([^;,]*);')
      end
      local function writeRows(K, ko, n, V, vo)
      local applied = 0
      for i = 1, n do
        local e, c, ver = header(V[vo + i])
        local cur = redis.call('GET', K[ko + i])
        local keep = false
        if cur then
          local ce, cc = header(cur)
          if ce then
            local d = cmpint(e, ce)
            keep = d < 0 or (d == 0 and cmpint(c, cc) < 0)
          end
        end
        if not keep then
          redis.call('SET', K[ko + i], V[vo + i])
          hist(K[ko + i], cur, V[vo + i])
          applied = applied + 1
        end
      end
      return applied
      end
      """;

  /**
   * Per key (KEYS[i]) the new value ARGV[i] = {@code "<event>,<created>,<version>;"} + row: written
   * unless the stored value is newer (later event time, or the same event time and a later created
   * time), whatever the versions ({@code OnlineRow.isNewerThan}). A stored value without a version
   * field (format 1) is always replaced.
   */
  static final String WRITE_SCRIPT = LUA_HISTORY + LUA_WRITE_ROWS + """
      return writeRows(KEYS, 0, #KEYS, ARGV, 0)
      """;

  /** KEYS[1] the mark, ARGV[1] a decimal value: mark = max(mark, value). */
  static final String MARK_SCRIPT = LUA_CMPINT + """
      local cur = redis.call('GET', KEYS[1])
      if (not cur) or cmpint(ARGV[1], cur) > 0 then
        redis.call('SET', KEYS[1], ARGV[1])
        return 1
      end
      return 0
      """;

  /** Lua: {@code addTiles(K, ko, n, V, vo, R, grace)}, the body of {@link #ADD_TILES_SCRIPT}. */
  private static final String LUA_ADD_TILES = """
      local function addTiles(K, ko, n, V, vo, R, grace)
      local nret = #R / 16
      local retL, retK = {}, {}
      for j = 1, nret do
        retL[j] = string.sub(R, 16 * j - 15, 16 * j - 8)
        retK[j] = string.sub(R, 16 * j - 7, 16 * j)
      end
      local function cmpb(a, b)
        if a == b then return 0 end
        for p = 1, #a, 4 do
          local x = struct.unpack('>I4', a, p)
          local y = struct.unpack('>I4', b, p)
          if x ~= y then
            if x < y then return -1 end
            return 1
          end
        end
        return 0
      end
      local function num(b)
        local hi, lo = struct.unpack('>I4I4', b)
        return (hi - 2147483648) * 4294967296 + lo
      end
      local function negzero(x) return x == 0 and 1 / x < 0 end
      local function jmin(a, b)
        if a ~= a then return a end
        if a == 0 and b == 0 and negzero(b) then return b end
        if a <= b then return a end
        return b
      end
      local function jmax(a, b)
        if a ~= a then return a end
        if a == 0 and b == 0 and negzero(a) then return b end
        if a >= b then return a end
        return b
      end
      local function header(v)
        if #v < 7 or string.byte(v, 1) ~= 1 then return nil end
        local fields = struct.unpack('>I4', v, 2)
        local vl = struct.unpack('>I2', v, 6)
        if #v < 7 + vl then return nil end
        return fields, string.sub(v, 8, 7 + vl), 8 + vl
      end
      local function combine(x, y, fields)
        local out = {string.sub(x, 1, 16)}
        for k = 0, 2 do
          local p = 17 + 8 * k
          local tx, ty = string.sub(x, p, p + 7), string.sub(y, p, p + 7)
          if cmpb(tx, ty) >= 0 then out[#out + 1] = tx else out[#out + 1] = ty end
        end
        out[#out + 1] = struct.pack('>d', struct.unpack('>d', x, 41) + struct.unpack('>d', y, 41))
        for f = 0, fields - 1 do
          local p = 49 + 32 * f
          local n1, s1, lo1, hi1 = struct.unpack('>dddd', x, p)
          local n2, s2, lo2, hi2 = struct.unpack('>dddd', y, p)
          out[#out + 1] = struct.pack('>dddd', n1 + n2, s1 + s2, jmin(lo1, lo2), jmax(hi1, hi2))
        end
        return table.concat(out)
      end
      local removed = 0
      for i = 1, n do
        local d = V[vo + i]
        local df, dv, dp = header(d)
        local rec = 48 + 32 * df
        local dn = (#d - dp + 1) / rec
        local cur = redis.call('GET', K[ko + i])
        local sn, sp = 0, 0
        local other = false
        if cur then
          local sf, sv, p = header(cur)
          if sf == df and sv == dv and (#cur - p + 1) % rec == 0 then
            sn = (#cur - p + 1) / rec
            sp = p
          elseif sf then
            other = true -- tiles of another definition version: a delta never rewrites them
          end
        end
        if not other then
          local out = {string.sub(d, 1, dp - 1)}
          local a, b, kept, ttl, forever = 0, 0, 0, 0, false
          while a < sn or b < dn do
            local x, y, c = nil, nil, 0
            if a < sn then x = string.sub(cur, sp + a * rec, sp + a * rec + rec - 1) end
            if b < dn then y = string.sub(d, dp + b * rec, dp + b * rec + rec - 1) end
            if not x then c = 1 elseif not y then c = -1 else c = cmpb(string.sub(x, 1, 16), string.sub(y, 1, 16)) end
            local t = x
            if c > 0 then t = y end
            if c <= 0 then a = a + 1 end
            if c >= 0 then b = b + 1 end
            local len, start = string.sub(t, 1, 8), string.sub(t, 9, 16)
            local from = nil
            local keeps = true
            for j = 1, nret do
              if retL[j] == len then
                from = retK[j]
                keeps = cmpb(start, from) >= 0
                break
              end
            end
            if keeps then
              if c == 0 then t = combine(x, y, df) end
              out[#out + 1] = t
              kept = kept + 1
              if from then
                local left = num(start) - num(from) + 1
                if left > ttl then ttl = left end
              else
                forever = true
              end
            end
          end
          if kept == 0 then
            if cur then
              hist(K[ko + i], cur, false)
            end
            removed = removed + redis.call('DEL', K[ko + i])
          else
            local v = table.concat(out)
            hist(K[ko + i], cur, v)
            ttl = math.floor(ttl + grace)
            if forever or grace < 0 or ttl > 1e15 then
              redis.call('SET', K[ko + i], v)
            else
              if ttl < 1 then ttl = 1 end
              redis.call('SET', K[ko + i], v, 'PX', string.format('%d', ttl))
            end
          end
        end
      end
      return removed
      end
      """;

  /**
   * WindowTiles.merge per key: ARGV[1] the retention (16 bytes per tile length: sortable length, sortable
   * keepFrom), ARGV[2] the expiry grace in ms (negative: no expiry), ARGV[2 + i] the delta of KEYS[i].
   */
  static final String ADD_TILES_SCRIPT = LUA_HISTORY + LUA_ADD_TILES + """
      return addTiles(KEYS, 0, #KEYS, ARGV, 2, ARGV[1], tonumber(ARGV[2]))
      """;

  /**
   * An atomic commit: KEYS = marks (ARGV[1] of them), row keys (ARGV[2]), then tile keys of ARGV[3]
   * groups. ARGV after the three counts: per mark its expected value (empty: never set) and new value;
   * per row key its value; per tile group its key count, retention, expiry grace and one delta per key.
   * Returns -1 (nothing written) when a mark does not hold its expected value, else 1.
   */
  static final String COMMIT_SCRIPT = LUA_HISTORY + LUA_WRITE_ROWS + LUA_ADD_TILES + """
      local nm, nr, ng = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
      for i = 1, nm do
        local cur = redis.call('GET', KEYS[i])
        local want = ARGV[3 + 2 * i - 1]
        if want == '' then
          if cur then return -1 end
        elseif cur ~= want then
          return -1
        end
      end
      local ko, vo = nm, 3 + 2 * nm
      writeRows(KEYS, ko, nr, ARGV, vo)
      ko, vo = ko + nr, vo + nr
      for g = 1, ng do
        local n = tonumber(ARGV[vo + 1])
        addTiles(KEYS, ko, n, ARGV, vo + 3, ARGV[vo + 2], tonumber(ARGV[vo + 3]))
        ko, vo = ko + n, vo + 3 + n
      end
      for i = 1, nm do
        redis.call('SET', KEYS[i], ARGV[3 + 2 * i])
      end
      return 1
      """;

  /** Per key KEYS[i]: ARGV[2i-1] the new value (empty: delete), ARGV[2i] its expiry in ms (0: none). */
  static final String PUT_TILES_SCRIPT = LUA_HISTORY + """
      for i = 1, #KEYS do
        local v, ttl = ARGV[2 * i - 1], ARGV[2 * i]
        if HS ~= '' then
          local cur = redis.call('GET', KEYS[i])
          if #v == 0 then
            if cur then hist(KEYS[i], cur, false) end
          elseif cur ~= v then
            hist(KEYS[i], cur, v)
          end
        end
        if #v == 0 then
          redis.call('DEL', KEYS[i])
        elseif ttl == '0' then
          redis.call('SET', KEYS[i], v)
        else
          redis.call('SET', KEYS[i], v, 'PX', ttl)
        end
      end
      return #KEYS
      """;

  private static final Object ABSENT = new Object();

  /** A Lua script and its SHA-1 digest. */
  private record Script(String name, String source, String sha) {}

  private final RedisURI uri;
  private final boolean cluster;
  private final AbstractRedisClient client;
  private final StatefulRedisConnection<byte[], byte[]> connection;
  private final StatefulRedisClusterConnection<byte[], byte[]> clusterConnection;
  private final RedisClusterAsyncCommands<byte[], byte[]> async;
  private final String prefix;
  private final int batchSize;
  private final Duration timeout;
  private final long tileGraceMillis;
  private final Cache<String, Object> nearCache;
  private final RowCodec codec = new RowCodec();
  private final RowCodec legacyCodec = new RowCodec(1);
  private final AtomicLong invalidations = new AtomicLong();
  /** The last retention {@link #addTiles} saw per view: {@link #putTiles} derives its expiry from it. */
  private final Map<String, WindowTiles.Retention> retentions = new ConcurrentHashMap<>();
  /** Invalidations (exclusive) against "check that nothing was invalidated, then cache" (shared). */
  private final java.util.concurrent.locks.ReentrantReadWriteLock cacheGate =
      new java.util.concurrent.locks.ReentrantReadWriteLock();
  private volatile boolean tracking;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
  private final Script writeScript;
  private final Script addTilesScript;
  private final Script putTilesScript;
  private final Script markScript;
  private final Script commitScript;
  /** How far back as-of reads reach, ms; 0: no history is kept. */
  private volatile long horizonMillis;
  private volatile java.util.function.LongSupplier historyClock;
  /** From when on the shared history is complete (read from Redis by {@link #keepHistory}). */
  private volatile long historySince = Long.MIN_VALUE;
  /** The suffix of a key's history set (':' never ends an escaped view name, so it is unambiguous). */
  static final String HISTORY_SUFFIX = ":h";

  private RedisOnlineStore(Builder b) {
    this.uri = b.redisUri();
    this.cluster = b.cluster;
    this.prefix = b.prefix;
    this.batchSize = b.batchSize;
    this.timeout = b.timeout;
    this.tileGraceMillis = b.tileGraceMillis;
    long nearCacheSize = b.cluster ? 0 : b.nearCacheSize;
    this.nearCache = nearCacheSize == 0 ? null
        : Caffeine.newBuilder().maximumSize(nearCacheSize).expireAfterWrite(b.nearCacheTtl).recordStats().build();
    StatefulRedisConnection<byte[], byte[]> single = null;
    StatefulRedisClusterConnection<byte[], byte[]> multi = null;
    if (cluster) {
      RedisClusterClient c = RedisClusterClient.create(uri);
      c.setOptions(ClusterClientOptions.builder()
          .protocolVersion(ProtocolVersion.RESP3)
          .autoReconnect(true)
          .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
          .timeoutOptions(TimeoutOptions.enabled(b.timeout))
          // follow failovers and resharding: refresh the slot map on MOVED/ASK and reconnects, and every minute
          .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder().enableAllAdaptiveRefreshTriggers()
              .enablePeriodicRefresh(Duration.ofMinutes(1)).build())
          .build());
      this.client = c;
      try {
        multi = c.connect(ByteArrayCodec.INSTANCE);
      } catch (RuntimeException e) {
        c.shutdown(0, 0, TimeUnit.MILLISECONDS);
        throw connectFailure(e);
      }
      this.async = multi.async();
    } else {
      RedisClient c = RedisClient.create(uri);
      c.setOptions(ClientOptions.builder()
          .protocolVersion(ProtocolVersion.RESP3)
          .autoReconnect(true)
          .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
          .timeoutOptions(TimeoutOptions.enabled(b.timeout))
          .build());
      this.client = c;
      try {
        single = c.connect(ByteArrayCodec.INSTANCE);
      } catch (RuntimeException e) {
        c.shutdown(0, 0, TimeUnit.MILLISECONDS);
        throw connectFailure(e);
      }
      this.async = single.async();
    }
    this.connection = single;
    this.clusterConnection = multi;
    try {
      if (nearCache != null) {
        connection.addListener(this::onPush);
        ((RedisClient) client).addListener(new RedisConnectionStateListener() {
          @Override
          public void onRedisDisconnected(io.lettuce.core.RedisChannelHandler<?, ?> handler) {
            tracking = false;
            invalidate(null);
          }

          @Override
          public void onRedisConnected(io.lettuce.core.RedisChannelHandler<?, ?> handler, SocketAddress address) {
            // a new connection has no tracking yet: re-subscribe without blocking the event loop
            if (connection != null && handler == connection) {
              enableTracking();
            }
          }
        });
        await("enable client-side caching", connection.async().clientTracking(trackingArgs()));
        tracking = true;
      }
      this.writeScript = load("write", WRITE_SCRIPT);
      this.addTilesScript = load("add tiles", ADD_TILES_SCRIPT);
      this.putTilesScript = load("put tiles", PUT_TILES_SCRIPT);
      this.markScript = load("advance a mark", MARK_SCRIPT);
      this.commitScript = load("commit", COMMIT_SCRIPT);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    LOG.info("Redis online store at {}{} (prefix '{}', near-cache {})", cluster ? "cluster seed " : "", where(), prefix,
        nearCache == null ? "off" : b.nearCacheSize + " rows, ttl " + b.nearCacheTtl);
  }

  private OnlineStoreUnavailableException connectFailure(RuntimeException e) {
    StringBuilder why = new StringBuilder(String.valueOf(e.getMessage()));
    Throwable root = e;
    for (int depth = 0; root != null && depth < 10; depth++) {
      for (Throwable s : root.getSuppressed()) {
        why.append(" [").append(s.getMessage()).append(']'); // the cluster client's per-node failures
      }
      Throwable next = root.getCause();
      if (next == null || next == root) {
        break;
      }
      why.append(": ").append(next.getMessage());
      root = next;
    }
    String all = why.toString();
    String hint = all.contains("NOAUTH") || all.contains("WRONGPASS") || all.contains("invalid password")
        || all.contains("invalid username-password")
        ? " (authentication failed: set password(...) and, for an ACL user, username(...) on the builder, "
            + "or put them in the URI)"
        : "";
    return new OnlineStoreUnavailableException("cannot connect to Redis " + (cluster ? "cluster " : "") + "at "
        + where() + hint + ": " + all, e);
  }

  private Script load(String name, String source) {
    String sha = await("load the " + name + " script", async.scriptLoad(source.getBytes(StandardCharsets.UTF_8)));
    return new Script(name, source, sha);
  }

  /**
   * Starts a builder for a server (or, with {@link Builder#cluster(boolean)}, a cluster).
   *
   * @param redisUri e.g. {@code redis://127.0.0.1:6379} (Lettuce URI syntax: password, database, TLS)
   * @return a builder with the defaults: prefix {@code sieveml}, batches of 500, 500 ms timeout,
   *     near-cache of 100,000 rows with a 60 s time-to-live, tile expiry grace of one hour
   */
  public static Builder builder(String redisUri) {
    return new Builder(redisUri);
  }

  /**
   * Starts a builder for a Redis Cluster: {@code builder(seedUri).cluster(true)}.
   *
   * @param seedUri the URI of one node, e.g. {@code redis://127.0.0.1:7000}; the others are discovered
   * @return a builder for a cluster (near-cache off)
   */
  public static Builder cluster(String seedUri) {
    return new Builder(seedUri).cluster(true);
  }

  private TrackingArgs trackingArgs() {
    return TrackingArgs.Builder.enabled().bcast().prefixes(StandardCharsets.UTF_8, prefix + ":r:");
  }

  private void enableTracking() {
    connection.async().clientTracking(trackingArgs()).whenComplete((ok, err) -> {
      if (err == null) {
        invalidate(null);
        tracking = true;
        LOG.info("Redis online store at {}: reconnected, near-cache re-enabled", where());
      } else {
        LOG.warn("Redis online store at {}: could not re-enable client-side caching ({}); near-cache stays off",
            where(), err.toString());
      }
    });
  }

  /** Bumps the invalidation count and evicts, atomically with respect to {@link #read}'s caching. */
  private void invalidate(Iterable<String> keys) {
    cacheGate.writeLock().lock();
    try {
      invalidations.incrementAndGet();
      if (keys == null) {
        nearCache.invalidateAll();
      } else {
        nearCache.invalidateAll(keys);
      }
    } finally {
      cacheGate.writeLock().unlock();
    }
  }

  private void onPush(PushMessage m) {
    if (!"invalidate".equals(m.getType())) {
      return;
    }
    List<Object> content = m.getContent();
    Object keys = content.size() > 1 ? content.get(1) : null;
    if (!(keys instanceof List<?> list)) {
      invalidate(null); // a null key list means "flush everything"
      return;
    }
    List<String> evict = new ArrayList<>(list.size());
    for (Object k : list) {
      if (k instanceof ByteBuffer buf) {
        byte[] b = new byte[buf.remaining()];
        buf.duplicate().get(b);
        evict.add(new String(b, StandardCharsets.ISO_8859_1));
      } else if (k instanceof byte[] b) {
        evict.add(new String(b, StandardCharsets.ISO_8859_1));
      }
    }
    invalidate(evict);
  }

  private String where() {
    return uri.getHost() + ":" + uri.getPort();
  }

  private static void checkView(String view) {
    if (view == null) {
      throw new IllegalArgumentException("view was null, expected a view name");
    }
  }

  @Override
  public int write(String view, List<OnlineRow> rows) {
    Objects.requireNonNull(view, "view");
    Objects.requireNonNull(rows, "rows");
    if (rows.isEmpty()) {
      return 0;
    }
    for (int i = 0; i < rows.size(); i++) {
      if (rows.get(i) == null) {
        throw new IllegalArgumentException("rows[" + i + "] of view '" + view + "' is null, expected a row");
      }
    }
    byte[][] keys = new byte[rows.size()][];
    byte[][] values = new byte[rows.size()][];
    String[] cacheKeys = new String[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      OnlineRow row = rows.get(i);
      cacheKeys[i] = redisKey(view, row.key());
      keys[i] = latin1(cacheKeys[i]);
      values[i] = encode(view, row);
    }
    try {
      return (int) runScript("write " + rows.size() + " rows of view '" + view + "'", writeScript, keys,
          new byte[0][], 1, values);
    } finally {
      if (nearCache != null) {
        // our own writes: never serve the replaced row from this replica's cache
        invalidate(Arrays.asList(cacheKeys));
      }
    }
  }

  @Override
  public List<OnlineRow> read(String view, List<EntityKey> keys) {
    Objects.requireNonNull(view, "view");
    Objects.requireNonNull(keys, "keys");
    OnlineRow[] out = new OnlineRow[keys.size()];
    String[] redisKeys = new String[keys.size()];
    int[] missing = new int[keys.size()];
    int misses = 0;
    boolean cacheOn = nearCache != null && tracking;
    for (int i = 0; i < keys.size(); i++) {
      EntityKey k = keys.get(i);
      if (k == null) {
        throw new IllegalArgumentException("keys[" + i + "] of view '" + view + "' is null, expected an entity key");
      }
      redisKeys[i] = redisKey(view, k);
      Object hit = cacheOn ? nearCache.getIfPresent(redisKeys[i]) : null;
      if (hit == null) {
        missing[misses++] = i;
      } else if (hit != ABSENT) {
        out[i] = (OnlineRow) hit;
      }
    }
    if (misses > 0) {
      long before = invalidations.get();
      byte[][] ks = new byte[misses][];
      for (int m = 0; m < misses; m++) {
        ks[m] = latin1(redisKeys[missing[m]]);
      }
      List<KeyValue<byte[], byte[]>> values = await("read " + misses + " keys of view '" + view + "'",
          async.mget(ks));
      for (int m = 0; m < misses; m++) {
        KeyValue<byte[], byte[]> kv = m < values.size() ? values.get(m) : null;
        out[missing[m]] = kv != null && kv.hasValue() ? decode(view, keys.get(missing[m]), kv.getValue()) : null;
      }
      if (cacheOn) {
        // cache only if no invalidation (a push, our own write, a reconnect) happened while the read
        // was in flight: it may concern these keys
        cacheGate.readLock().lock();
        try {
          if (tracking && invalidations.get() == before) {
            for (int m = 0; m < misses; m++) {
              nearCache.put(redisKeys[missing[m]], out[missing[m]] == null ? ABSENT : out[missing[m]]);
            }
          }
        } finally {
          cacheGate.readLock().unlock();
        }
      }
    }
    return Arrays.asList(out);
  }

  /**
   * {@inheritDoc}
   *
   * <p>One Lua script per batch of {@code batchSize} keys (per slot on a cluster) applies
   * {@link WindowTiles#merge} to each key atomically and sets the key's expiry (see the class comment).
   *
   * @throws IllegalArgumentException when the list, an element or the retention is null, or a version
   *     is longer than 65,535 UTF-8 bytes; nothing is written then
   */
  @Override
  public void addTiles(String view, List<WindowTiles> deltas, WindowTiles.Retention retention) {
    checkView(view);
    if (retention == null) {
      throw new IllegalArgumentException("retention of view '" + view + "' was null, expected a retention "
          + "(WindowTiles.Retention.ALL keeps every tile)");
    }
    checkTiles(view, "deltas", deltas);
    if (deltas.isEmpty()) {
      return;
    }
    byte[][] keys = new byte[deltas.size()][];
    byte[][] values = new byte[deltas.size()][];
    for (int i = 0; i < deltas.size(); i++) {
      keys[i] = latin1(tileKey(view, deltas.get(i).key()));
      values[i] = encodeTiles(view, deltas.get(i));
    }
    retentions.put(view, retention);
    runScript("add tiles of " + deltas.size() + " keys of view '" + view + "'", addTilesScript, keys,
        new byte[][] {retentionBytes(retention), ascii(Long.toString(tileGraceMillis))}, 1, values);
  }

  /** A retention as the add-tiles script reads it: per tile length, sortable length and sortable keepFrom. */
  private static byte[] retentionBytes(WindowTiles.Retention retention) {
    ByteBuffer r = ByteBuffer.allocate(16 * retention.size());
    for (int i = 0; i < retention.size(); i++) {
      r.putLong(retention.length(i) ^ SIGN).putLong(retention.keepFrom(i) ^ SIGN);
    }
    return r.array();
  }

  /**
   * {@inheritDoc}
   *
   * <p>One Lua script per batch of {@code batchSize} keys (per slot on a cluster); the expiry comes from
   * the last retention {@link #addTiles} saw for the view, if any (see the class comment).
   *
   * @throws IllegalArgumentException when the list or an element is null, or a version is longer than
   *     65,535 UTF-8 bytes; nothing is written then
   */
  @Override
  public void putTiles(String view, List<WindowTiles> tiles) {
    checkView(view);
    checkTiles(view, "tiles", tiles);
    if (tiles.isEmpty()) {
      return;
    }
    byte[][] keys = new byte[tiles.size()][];
    byte[][] args = new byte[tiles.size() * 2][];
    WindowTiles.Retention retention = retentions.get(view);
    for (int i = 0; i < tiles.size(); i++) {
      WindowTiles t = tiles.get(i);
      keys[i] = latin1(tileKey(view, t.key()));
      args[2 * i] = t.size() == 0 ? new byte[0] : encodeTiles(view, t);
      args[2 * i + 1] = ascii(Long.toString(t.size() == 0 ? 0 : expiry(t, retention)));
    }
    runScript("put tiles of " + tiles.size() + " keys of view '" + view + "'", putTilesScript, keys, new byte[0][], 2,
        args);
  }

  /** The PEXPIRE the add-tiles script would give these tiles under a retention; 0 for none. */
  private long expiry(WindowTiles t, WindowTiles.Retention retention) {
    if (tileGraceMillis < 0 || retention == null) {
      return 0;
    }
    double ttl = 0;
    for (int i = 0; i < t.size(); i++) {
      int j = 0;
      while (j < retention.size() && retention.length(j) != t.length(i)) {
        j++;
      }
      if (j == retention.size()) {
        return 0;
      }
      ttl = Math.max(ttl, (double) t.start(i) - (double) retention.keepFrom(j) + 1);
    }
    ttl = Math.floor(ttl + tileGraceMillis);
    return ttl > 1e15 ? 0 : Math.max(1, (long) ttl);
  }

  private static void checkTiles(String view, String what, List<WindowTiles> tiles) {
    if (tiles == null) {
      throw new IllegalArgumentException(what + " of view '" + view + "' was null, expected a list of window tiles");
    }
    for (int i = 0; i < tiles.size(); i++) {
      if (tiles.get(i) == null) {
        throw new IllegalArgumentException(what + "[" + i + "] of view '" + view + "' is null, expected window tiles");
      }
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>One {@code MGET} per slot, all sent at once; the near-cache is not used.
   */
  @Override
  public List<WindowTiles> readTiles(String view, List<EntityKey> keys) {
    checkView(view);
    if (keys == null) {
      throw new IllegalArgumentException("keys of view '" + view + "' was null, expected a list of entity keys");
    }
    byte[][] ks = new byte[keys.size()][];
    for (int i = 0; i < keys.size(); i++) {
      if (keys.get(i) == null) {
        throw new IllegalArgumentException("keys[" + i + "] of view '" + view + "' is null, expected an entity key");
      }
      ks[i] = latin1(tileKey(view, keys.get(i)));
    }
    WindowTiles[] out = new WindowTiles[keys.size()];
    if (ks.length == 0) {
      return Arrays.asList(out);
    }
    List<KeyValue<byte[], byte[]>> values = await("read tiles of " + ks.length + " keys of view '" + view + "'",
        async.mget(ks));
    for (int i = 0; i < ks.length; i++) {
      KeyValue<byte[], byte[]> kv = i < values.size() ? values.get(i) : null;
      out[i] = kv != null && kv.hasValue() ? decodeTiles(view, keys.get(i), kv.getValue()) : null;
    }
    return Arrays.asList(out);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Every replica writing to this Redis must keep the same history (or none can be trusted): the
   * history lives in Redis next to each key (a sorted set {@code <key>:h} of its recent values scored by
   * their stamps), written by the same Lua script
   * as the value, so it is exactly as atomic as the write. Where the history starts is the key
   * {@code <prefix>:history-since}, set once by the first store that keeps history ({@code SET NX}).
   * The cost: per key changed within the horizon, a sorted set of its values since the horizon's start
   * (the whole row or tile value per change, plus about 30 bytes), expiring after the horizon.
   *
   * @throws IllegalArgumentException when {@code horizon} is not positive or above 3650 days, or
   *     {@code clock} is null
   */
  @Override
  public void keepHistory(Duration horizon, java.util.function.LongSupplier clock) {
    if (horizon == null || horizon.isNegative() || horizon.isZero() || horizon.compareTo(Duration.ofDays(3650)) > 0) {
      throw new IllegalArgumentException("history horizon is " + horizon + ", expected a positive duration of at "
          + "most 3650 days");
    }
    if (clock == null) {
      throw new IllegalArgumentException("history clock is null, expected a supplier of epoch milliseconds");
    }
    byte[] key = latin1(utf8AsLatin1(prefix + ":history-since"));
    await("start the history", async.set(key, ascii(Long.toString(clock.getAsLong())),
        io.lettuce.core.SetArgs.Builder.nx()));
    byte[] since = await("read where the history starts", async.get(key));
    historyClock = clock;
    historySince = Long.parseLong(new String(since, StandardCharsets.US_ASCII));
    horizonMillis = horizon.toMillis();
  }

  /** The stamp and horizon every write script ends its ARGV with (an empty stamp: no history). */
  private byte[][] historyArgs() {
    long h = horizonMillis;
    if (h == 0) {
      return new byte[][] {new byte[0], ascii("0")};
    }
    return new byte[][] {ascii(Long.toString(historyClock.getAsLong())), ascii(Long.toString(h))};
  }

  private void checkAsOf(String view, long asOf) {
    long horizon = horizonMillis;
    if (horizon == 0) {
      throw new IllegalStateException("as-of read of view '" + view + "' at asOf=" + asOf + ": this store keeps no "
          + "history (history horizon 0); set FeatureStore.Builder.historyHorizon (or call keepHistory)");
    }
    long now = historyClock.getAsLong();
    if (asOf > now) {
      throw new IllegalArgumentException("asOf=" + asOf + " of an as-of read of view '" + view + "' is after the "
          + "store's clock (" + now + "), expected a time in the history horizon of " + horizon + " ms");
    }
    long oldest = Math.max(historySince, now - horizon);
    if (asOf < oldest) {
      throw new IllegalArgumentException("asOf=" + asOf + " of an as-of read of view '" + view + "' is older than the "
          + "history kept: the history horizon is " + horizon + " ms and the oldest time available is " + oldest
          + (oldest == historySince ? " (history is kept since then)" : " (the clock " + now + " minus the horizon)"));
    }
  }

  /** Runs the as-of read script over keys (one call per slot group); returns the raw values ('' absent). */
  private byte[][] readAsOfRaw(String what, byte[][] keys, long asOf) {
    byte[][] out = new byte[keys.length][];
    if (keys.length == 0) {
      return out;
    }
    List<int[]> groups = groups(keys);
    List<RedisFuture<List<Object>>> pending = new ArrayList<>(groups.size());
    byte[][] args = {ascii(Long.toString(asOf))};
    for (int[] g : groups) {
      byte[][] k = new byte[g.length][];
      for (int i = 0; i < g.length; i++) {
        k[i] = keys[g[i]];
      }
      pending.add(async.eval(READ_AS_OF_SCRIPT.getBytes(StandardCharsets.US_ASCII), ScriptOutputType.MULTI, k, args));
    }
    for (int gi = 0; gi < groups.size(); gi++) {
      List<Object> r = await(what, pending.get(gi));
      int[] g = groups.get(gi);
      for (int i = 0; i < g.length; i++) {
        out[g[i]] = (byte[]) r.get(i);
      }
    }
    return out;
  }

  private static byte[][] keyBytes(String view, List<EntityKey> keys, java.util.function.Function<EntityKey, String> k) {
    checkView(view);
    if (keys == null) {
      throw new IllegalArgumentException("keys of view '" + view + "' was null, expected a list of entity keys");
    }
    byte[][] ks = new byte[keys.size()][];
    for (int i = 0; i < keys.size(); i++) {
      if (keys.get(i) == null) {
        throw new IllegalArgumentException("keys[" + i + "] of view '" + view + "' is null, expected an entity key");
      }
      ks[i] = latin1(k.apply(keys.get(i)));
    }
    return ks;
  }

  /**
   * {@inheritDoc}
   *
   * <p>One Lua script per slot group reads each key's history set (or its value when it has none),
   * atomically per group; the near-cache is not used.
   */
  @Override
  public List<OnlineRow> readAsOf(String view, List<EntityKey> keys, long asOf) {
    byte[][] ks = keyBytes(view, keys, k -> redisKey(view, k));
    checkAsOf(view, asOf);
    byte[][] raw = readAsOfRaw("read " + ks.length + " keys of view '" + view + "' as of " + asOf, ks, asOf);
    OnlineRow[] out = new OnlineRow[ks.length];
    for (int i = 0; i < ks.length; i++) {
      out[i] = raw[i] == null || raw[i].length == 0 ? null : decode(view, keys.get(i), raw[i]);
    }
    return Arrays.asList(out);
  }

  /**
   * {@inheritDoc}
   *
   * <p>As {@link #readAsOf}, for tile keys.
   */
  @Override
  public List<WindowTiles> readTilesAsOf(String view, List<EntityKey> keys, long asOf) {
    byte[][] ks = keyBytes(view, keys, k -> tileKey(view, k));
    checkAsOf(view, asOf);
    byte[][] raw = readAsOfRaw("read tiles of " + ks.length + " keys of view '" + view + "' as of " + asOf, ks, asOf);
    WindowTiles[] out = new WindowTiles[ks.length];
    for (int i = 0; i < ks.length; i++) {
      out[i] = raw[i] == null || raw[i].length == 0 ? null : decodeTiles(view, keys.get(i), raw[i]);
    }
    return Arrays.asList(out);
  }

  /**
   * {@inheritDoc}
   *
   * <p>One {@code DEL} of the entity's row key and tile key of the view (one slot).
   */
  @Override
  public void erase(String view, EntityKey key) {
    checkView(view);
    if (key == null) {
      throw new IllegalArgumentException("key to erase from view '" + view + "' was null, expected an entity key");
    }
    String rowKey = redisKey(view, key);
    try {
      String tileKey = tileKey(view, key); // with their histories (a privacy erasure erases the past too)
      await("erase " + key + " from view '" + view + "'", async.del(latin1(rowKey), latin1(tileKey),
          latin1(rowKey + HISTORY_SUFFIX), latin1(tileKey + HISTORY_SUFFIX)));
    } finally {
      if (nearCache != null) {
        invalidate(List.of(rowKey));
      }
    }
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException when the name is null
   * @throws IllegalStateException when the stored value is not a decimal integer
   */
  @Override
  public long readMark(String name) {
    byte[] k = markKey(name);
    byte[] v = await("read mark '" + name + "'", async.get(k));
    if (v == null) {
      return Long.MIN_VALUE;
    }
    String s = new String(v, StandardCharsets.US_ASCII);
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new IllegalStateException("mark '" + name + "' at " + where() + " holds '" + s
          + "', expected a decimal integer: not written by this store?", e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A Lua script: atomic under concurrent writers in every process.
   *
   * @throws IllegalArgumentException when the name is null
   */
  @Override
  public void advanceMark(String name, long value) {
    byte[] k = markKey(name);
    runScript("advance mark '" + name + "'", markScript, new byte[][] {k}, new byte[0][], 1,
        new byte[][] {ascii(Long.toString(value))});
  }

  /**
   * {@inheritDoc}
   *
   * <p>One Lua script checks every mark, writes the rows (as {@link #write}), merges the deltas (as
   * {@link #addTiles}, with the same expiry) and sets the marks: Redis runs a script alone, so the commit
   * is atomic with respect to every other client, and it persists as the server's own persistence
   * ({@code appendonly}) persists a script's writes. Not on a Redis Cluster: one script cannot span
   * slots.
   *
   * @throws UnsupportedOperationException on a cluster
   * @throws IllegalArgumentException when the commit is null or holds a version longer than 65,535 UTF-8
   *     bytes; nothing is written then
   */
  @Override
  public boolean commit(OnlineCommit commit) {
    if (commit == null) {
      throw new IllegalArgumentException("commit must not be null");
    }
    if (cluster) {
      throw new UnsupportedOperationException("atomic commits need a single Redis server: on a cluster one script "
          + "cannot write keys of several slots");
    }
    List<byte[]> keys = new ArrayList<>();
    List<byte[]> args = new ArrayList<>();
    int rowKeys = 0;
    for (OnlineCommit.RowWrite w : commit.rows()) {
      rowKeys += w.rows().size();
    }
    args.add(ascii(Integer.toString(commit.marks().size())));
    args.add(ascii(Integer.toString(rowKeys)));
    args.add(ascii(Integer.toString(commit.tiles().size())));
    for (OnlineCommit.MarkUpdate m : commit.marks()) {
      keys.add(markKey(m.name()));
      args.add(m.expected() == Long.MIN_VALUE ? new byte[0] : ascii(Long.toString(m.expected())));
      args.add(ascii(Long.toString(m.value())));
    }
    List<String> cacheKeys = new ArrayList<>(rowKeys);
    for (OnlineCommit.RowWrite w : commit.rows()) {
      for (OnlineRow row : w.rows()) {
        String k = redisKey(w.view(), row.key());
        cacheKeys.add(k);
        keys.add(latin1(k));
        args.add(encode(w.view(), row));
      }
    }
    for (OnlineCommit.TileAdd a : commit.tiles()) {
      args.add(ascii(Integer.toString(a.deltas().size())));
      args.add(retentionBytes(a.retention()));
      args.add(ascii(Long.toString(tileGraceMillis)));
      for (WindowTiles d : a.deltas()) {
        keys.add(latin1(tileKey(a.view(), d.key())));
        args.add(encodeTiles(a.view(), d));
      }
      retentions.put(a.view(), a.retention());
    }
    byte[][] h = historyArgs();
    args.add(h[0]);
    args.add(h[1]);
    byte[][] k = keys.toArray(new byte[0][]);
    byte[][] v = args.toArray(new byte[0][]);
    String what = "commit " + commit;
    try {
      Long result = retryWithoutScriptCache(what, async.evalsha(commitScript.sha(), ScriptOutputType.INTEGER, k, v),
          commitScript, k, v);
      return result != null && result > 0;
    } finally {
      if (nearCache != null && !cacheKeys.isEmpty()) {
        invalidate(cacheKeys);
      }
    }
  }

  private byte[] markKey(String name) {
    if (name == null) {
      throw new IllegalArgumentException("mark name was null, expected a name");
    }
    return latin1(utf8AsLatin1(prefix + ":mark:" + escape(name)));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Scans for the view's row and tile keys ({@code SCAN MATCH}, on every node of a cluster) and
   * unlinks them; not atomic with respect to concurrent writers of the view.
   */
  @Override
  public void clear(String view) {
    Objects.requireNonNull(view, "view");
    for (String suffix : new String[] {"", HISTORY_SUFFIX}) { // ':' is escaped in view names: no other view's
      byte[] pattern = latin1(utf8AsLatin1(glob(prefix) + ":[rt]:*:" + glob(escape(view)) + suffix));
      io.lettuce.core.ScanCursor cursor = io.lettuce.core.ScanCursor.INITIAL;
      io.lettuce.core.ScanArgs args = io.lettuce.core.ScanArgs.Builder.matches(pattern).limit(1000);
      do {
        io.lettuce.core.KeyScanCursor<byte[]> page = await("scan view '" + view + "'", async.scan(cursor, args));
        if (!page.getKeys().isEmpty()) {
          await("clear view '" + view + "'", async.unlink(page.getKeys().toArray(new byte[0][])));
        }
        cursor = page;
      } while (!cursor.isFinished());
    }
    if (nearCache != null) {
      invalidate(null);
    }
  }

  /**
   * The near-cache's hit rate since the store was opened.
   *
   * @return hits / requests, 0 when the near-cache is off or unused
   */
  public double nearCacheHitRate() {
    return nearCache == null ? 0 : nearCache.stats().hitRate();
  }

  /**
   * Whether the near-cache currently serves reads (it is off on a cluster, when configured off, and while
   * tracking is being re-established after a reconnect).
   *
   * @return true when reads may be answered from the near-cache
   */
  public boolean nearCacheActive() {
    return nearCache != null && tracking;
  }

  /**
   * Whether this store is connected to a Redis Cluster.
   *
   * @return true for a cluster, false for a single server
   */
  public boolean isCluster() {
    return cluster;
  }

  /** Empties this replica's near-cache (for tests and benchmarks of the cold path). */
  public void invalidateNearCache() {
    if (nearCache != null) {
      invalidate(null);
    }
  }

  /** Closes the connection and the client; idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      if (connection != null) {
        connection.close();
      }
      if (clusterConnection != null) {
        clusterConnection.close();
      }
    } finally {
      client.shutdown(0, 2, TimeUnit.SECONDS);
    }
  }

  @Override
  public String toString() {
    return "RedisOnlineStore[" + (cluster ? "cluster " : "") + where() + ", prefix=" + prefix + ", nearCache="
        + (nearCache != null) + "]";
  }

  /**
   * Runs a script over keys in as few calls as the deployment allows: consecutive batches of
   * {@code batchSize} keys on a single server, per slot (then batches) on a cluster. Every call is sent
   * before any is awaited; all are awaited before a failure is thrown.
   *
   * @param common ARGV before the per-key arguments
   * @param perKey arguments per key
   * @param args {@code perKey} arguments of key i at {@code args[i * perKey + j]}
   * @return the sum of the calls' integer results
   */
  private long runScript(String what, Script script, byte[][] keys, byte[][] common, int perKey, byte[][] args) {
    List<int[]> groups = groups(keys);
    List<RedisFuture<Long>> pending = new ArrayList<>(groups.size());
    List<byte[][]> groupKeys = new ArrayList<>(groups.size());
    List<byte[][]> groupArgs = new ArrayList<>(groups.size());
    for (int[] g : groups) {
      byte[][] k = new byte[g.length][];
      byte[][] a = new byte[common.length + g.length * perKey + 2][];
      System.arraycopy(common, 0, a, 0, common.length);
      for (int i = 0; i < g.length; i++) {
        k[i] = keys[g[i]];
        System.arraycopy(args, g[i] * perKey, a, common.length + i * perKey, perKey);
      }
      byte[][] h = historyArgs(); // the last two ARGV of every write script (LUA_HISTORY)
      a[a.length - 2] = h[0];
      a[a.length - 1] = h[1];
      groupKeys.add(k);
      groupArgs.add(a);
      pending.add(async.evalsha(script.sha(), ScriptOutputType.INTEGER, k, a));
    }
    long sum = 0;
    OnlineStoreUnavailableException failure = null;
    for (int i = 0; i < pending.size(); i++) {
      try {
        Long r = retryWithoutScriptCache(what, pending.get(i), script, groupKeys.get(i), groupArgs.get(i));
        sum += r == null ? 0 : r;
      } catch (OnlineStoreUnavailableException e) {
        if (failure == null) {
          failure = e;
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
    return sum;
  }

  /** Index groups, one script call each. */
  private List<int[]> groups(byte[][] keys) {
    List<int[]> out = new ArrayList<>();
    if (!cluster) {
      for (int from = 0; from < keys.length; from += batchSize) {
        int[] g = new int[Math.min(keys.length, from + batchSize) - from];
        for (int i = 0; i < g.length; i++) {
          g[i] = from + i;
        }
        out.add(g);
      }
      return out;
    }
    Map<Integer, List<Integer>> bySlot = new LinkedHashMap<>();
    for (int i = 0; i < keys.length; i++) {
      bySlot.computeIfAbsent(SlotHash.getSlot(keys[i]), s -> new ArrayList<>()).add(i);
    }
    for (List<Integer> slot : bySlot.values()) {
      for (int from = 0; from < slot.size(); from += batchSize) {
        List<Integer> part = slot.subList(from, Math.min(slot.size(), from + batchSize));
        out.add(part.stream().mapToInt(Integer::intValue).toArray());
      }
    }
    return out;
  }

  /**
   * Awaits a script call; when the server lost its script cache (a restart, SCRIPT FLUSH, a cluster node
   * that never loaded it), sends the script itself once with EVAL, which also caches it again.
   */
  private Long retryWithoutScriptCache(String what, RedisFuture<Long> f, Script script, byte[][] keys,
      byte[][] args) {
    try {
      return await(what, f);
    } catch (OnlineStoreUnavailableException e) {
      if (!(e.getCause() instanceof io.lettuce.core.RedisNoScriptException)) {
        throw e;
      }
      LOG.info("Redis online store at {}: the {} script is not cached there (restart?), sending it again", where(),
          script.name());
      return await(what, async.<Long>eval(script.source().getBytes(StandardCharsets.UTF_8), ScriptOutputType.INTEGER,
          keys, args));
    }
  }

  private <T> T await(String what, java.util.concurrent.CompletionStage<T> f) {
    try {
      return f.toCompletableFuture().get(timeout.toMillis() + 100, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OnlineStoreUnavailableException("interrupted while waiting for Redis at " + where() + " to " + what, e);
    } catch (TimeoutException e) {
      throw new OnlineStoreUnavailableException("Redis at " + where() + " did not answer within " + timeout.toMillis()
          + " ms to " + what, e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      throw new OnlineStoreUnavailableException("Redis at " + where() + " failed to " + what + ": " + c, c);
    } catch (RuntimeException e) {
      throw new OnlineStoreUnavailableException("Redis at " + where() + " failed to " + what + ": " + e, e);
    }
  }

  private static byte[] latin1(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** Redis keys are bytes: UTF-8 encode, then carry the bytes in a Latin-1 string. */
  private static String utf8AsLatin1(String s) {
    return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  /** The row key {@code <prefix>:r:{<key>}:<view>} (UTF-8 bytes carried in a Latin-1 string). */
  String redisKey(String view, EntityKey key) {
    return entityKey("r", view, key);
  }

  /** The tile key {@code <prefix>:t:{<key>}:<view>} (UTF-8 bytes carried in a Latin-1 string). */
  String tileKey(String view, EntityKey key) {
    return entityKey("t", view, key);
  }

  private String entityKey(String kind, String view, EntityKey key) {
    StringBuilder b = new StringBuilder(prefix.length() + view.length() + 32);
    b.append(prefix).append(':').append(kind).append(":{");
    for (int i = 0; i < key.size(); i++) {
      if (i > 0) {
        b.append('|');
      }
      b.append(escape(key.names().get(i))).append('=');
      Object v = key.value(i);
      if (v instanceof Long || v instanceof Integer) {
        b.append('L').append(((Number) v).longValue());
      } else {
        b.append('S').append(escape(String.valueOf(v)));
      }
    }
    b.append("}:").append(escape(view));
    return utf8AsLatin1(b.toString());
  }

  private static String escape(String s) {
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' || c == ':' || c == '|' || c == '=' || c == '{' || c == '}') {
        if (b == null) {
          b = new StringBuilder(s.length() + 8).append(s, 0, i);
        }
        b.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
      } else if (b != null) {
        b.append(c);
      }
    }
    return b == null ? s : b.toString();
  }

  /** A literal for a SCAN MATCH pattern. */
  private static String glob(String s) {
    StringBuilder b = new StringBuilder(s.length() + 4);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\' || c == '^') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.toString();
  }

  /** The version as the header carries it: {@code % , ;} percent-escaped. */
  private static String headerVersion(String v) {
    StringBuilder b = null;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '%' || c == ',' || c == ';') {
        if (b == null) {
          b = new StringBuilder(v.length() + 8).append(v, 0, i);
        }
        b.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
      } else if (b != null) {
        b.append(c);
      }
    }
    return b == null ? v : b.toString();
  }

  /**
   * {@code "<event>,<created>,<version>;"}, then the format byte, the row and a CRC32C of everything
   * before it.
   */
  private byte[] encode(String view, OnlineRow row) {
    byte[] header = (row.eventTime() + "," + row.createdTime() + "," + headerVersion(row.version()) + ";")
        .getBytes(StandardCharsets.UTF_8);
    byte[] payload = codec.encode(view, row);
    byte[] out = new byte[header.length + 1 + payload.length + 4];
    System.arraycopy(header, 0, out, 0, header.length);
    out[header.length] = FORMAT;
    System.arraycopy(payload, 0, out, header.length + 1, payload.length);
    int p = out.length - 4;
    CRC32C crc = new CRC32C();
    crc.update(out, 0, p);
    int c = (int) crc.getValue();
    out[p] = (byte) (c >>> 24);
    out[p + 1] = (byte) (c >>> 16);
    out[p + 2] = (byte) (c >>> 8);
    out[p + 3] = (byte) c;
    return out;
  }

  private OnlineRow decode(String view, EntityKey expected, byte[] b) {
    int h = 0;
    int commas = 0;
    while (h < b.length && b[h] != ';') {
      if (b[h] == ',') {
        commas++;
      }
      h++;
    }
    int format = commas == 1 ? 1 : commas == 2 ? 2 : -1;
    if (h >= b.length - 5 || b[h] != ';' || b[h + 1] != format) {
      throw new IllegalStateException("Redis value of " + view + "/" + expected + " at " + where()
          + " is not in this store's format " + FORMAT + " or 1 (times and version header, format byte, row, "
          + "CRC32C); not written by this store?");
    }
    CRC32C crc = new CRC32C();
    crc.update(b, 0, b.length - 4);
    int stored = ((b[b.length - 4] & 0xff) << 24) | ((b[b.length - 3] & 0xff) << 16) | ((b[b.length - 2] & 0xff) << 8)
        | (b[b.length - 1] & 0xff);
    if ((int) crc.getValue() != stored) {
      throw new IllegalStateException("Redis value of " + view + "/" + expected + " at " + where()
          + " fails its CRC32C check: corrupted");
    }
    try {
      RowCodec.Decoded d = (format == 1 ? legacyCodec : codec).decode(b, h + 2, b.length - h - 6);
      if (!d.view().equals(view) || !d.row().key().equals(expected)) {
        throw new IllegalStateException("Redis value under " + view + "/" + expected + " at " + where()
            + " holds " + d.view() + "/" + d.row().key());
      }
      return d.row();
    } catch (IOException e) {
      throw new IllegalStateException("Redis value of " + view + "/" + expected + " at " + where()
          + " cannot be decoded: " + e.getMessage(), e);
    }
  }

  /** See the class comment: format byte, fields, version, then per tile 40 + 8 * width bytes. */
  static byte[] encodeTiles(String view, WindowTiles t) {
    byte[] version = t.version().getBytes(StandardCharsets.UTF_8);
    if (version.length > 65_535) {
      throw new IllegalArgumentException("version of the tiles of " + t.key() + " in view '" + view + "' is "
          + version.length + " UTF-8 bytes long, expected at most 65535");
    }
    int w = t.width();
    int n = t.size();
    ByteBuffer b = ByteBuffer.allocate(7 + version.length + n * (40 + 8 * w));
    b.put(TILE_FORMAT).putInt(t.fields()).putShort((short) version.length).put(version);
    for (int i = 0; i < n; i++) {
      b.putLong(t.length(i) ^ SIGN).putLong(t.start(i) ^ SIGN);
      for (int k = 0; k < WindowTiles.TIMES; k++) {
        b.putLong(t.time(i, k) ^ SIGN);
      }
      for (int k = 0; k < w; k++) {
        b.putDouble(t.stat(i, k));
      }
    }
    return b.array();
  }

  private WindowTiles decodeTiles(String view, EntityKey key, byte[] v) {
    try {
      ByteBuffer b = ByteBuffer.wrap(v);
      if (b.get() != TILE_FORMAT) {
        throw new IllegalStateException("format byte " + v[0] + ", expected " + TILE_FORMAT);
      }
      int fields = b.getInt();
      if (fields < 0 || fields > 10_000) {
        throw new IllegalStateException("field count " + fields);
      }
      byte[] version = new byte[b.getShort() & 0xffff];
      b.get(version);
      int w = 1 + 4 * fields;
      int rec = 40 + 8 * w;
      if (b.remaining() % rec != 0) {
        throw new IllegalStateException(b.remaining() + " tile bytes are not a multiple of " + rec);
      }
      int n = b.remaining() / rec;
      long[] lengths = new long[n];
      long[] starts = new long[n];
      long[] times = new long[n * WindowTiles.TIMES];
      double[] stats = new double[n * w];
      for (int i = 0; i < n; i++) {
        lengths[i] = b.getLong() ^ SIGN;
        starts[i] = b.getLong() ^ SIGN;
        for (int k = 0; k < WindowTiles.TIMES; k++) {
          times[i * WindowTiles.TIMES + k] = b.getLong() ^ SIGN;
        }
        for (int k = 0; k < w; k++) {
          stats[i * w + k] = b.getDouble();
        }
      }
      return WindowTiles.of(key, new String(version, StandardCharsets.UTF_8), fields, lengths, starts, times, stats);
    } catch (BufferUnderflowException | IllegalArgumentException | IllegalStateException e) {
      throw new IllegalStateException("Redis tile value of " + view + "/" + key + " at " + where()
          + " is not in this store's tile format " + TILE_FORMAT + " (" + e.getMessage() + "); not written by this "
          + "store?", e);
    }
  }

  /** Validated settings of a {@link RedisOnlineStore}. Not thread-safe. */
  public static final class Builder {
    private final RedisURI uri;
    private String prefix = "sieveml";
    private int batchSize = 500;
    private Duration timeout = Duration.ofMillis(500);
    private long nearCacheSize = 100_000;
    private Duration nearCacheTtl = Duration.ofSeconds(60);
    private boolean nearCacheSet;
    private boolean cluster;
    private String username;
    private char[] password;
    private Boolean tls;
    private long tileGraceMillis = 3_600_000L;

    private Builder(String redisUri) {
      if (redisUri == null) {
        throw new IllegalArgumentException("redisUri was null, expected e.g. redis://host:6379");
      }
      try {
        this.uri = RedisURI.create(redisUri);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("redisUri was '" + redisUri + "', expected e.g. redis://host:6379", e);
      }
    }

    /**
     * The key prefix, so several stores can share one server.
     *
     * @param prefix non-empty, without ':', '{' or '}'
     * @return this builder
     */
    public Builder prefix(String prefix) {
      if (prefix == null || prefix.isEmpty() || prefix.indexOf(':') >= 0 || prefix.indexOf('{') >= 0
          || prefix.indexOf('}') >= 0) {
        throw new IllegalArgumentException("prefix was '" + prefix + "', expected a non-empty name without ':', '{' "
            + "or '}'");
      }
      this.prefix = prefix;
      return this;
    }

    /**
     * Keys per script call (rows of {@link RedisOnlineStore#write}, tile sets of
     * {@link RedisOnlineStore#addTiles} and {@link RedisOnlineStore#putTiles}).
     *
     * @param batchSize 1..100,000
     * @return this builder
     */
    public Builder batchSize(int batchSize) {
      if (batchSize < 1 || batchSize > 100_000) {
        throw new IllegalArgumentException("batchSize was " + batchSize + ", expected 1..100000");
      }
      this.batchSize = batchSize;
      return this;
    }

    /**
     * The timeout of every command (and of connecting).
     *
     * @param timeout positive
     * @return this builder
     */
    public Builder timeout(Duration timeout) {
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout was " + timeout + ", expected a positive duration");
      }
      this.timeout = timeout;
      return this;
    }

    /**
     * The near-cache's bounds (single server only: on a cluster only {@code maximumRows = 0} is accepted).
     *
     * @param maximumRows rows kept, 0 to turn the near-cache off
     * @param timeToLive how long a cached row may be served at most (invalidations usually evict it
     *     sooner), positive
     * @return this builder
     */
    public Builder nearCache(long maximumRows, Duration timeToLive) {
      if (maximumRows < 0) {
        throw new IllegalArgumentException("near-cache maximumRows was " + maximumRows + ", expected >= 0");
      }
      if (timeToLive == null || timeToLive.isNegative() || timeToLive.isZero()) {
        throw new IllegalArgumentException("near-cache timeToLive was " + timeToLive + ", expected positive");
      }
      this.nearCacheSize = maximumRows;
      this.nearCacheTtl = timeToLive;
      this.nearCacheSet = true;
      return this;
    }

    /**
     * Whether the URI names a node of a Redis Cluster (default false). On a cluster, batches are split by
     * hash slot and the near-cache is off.
     *
     * @param cluster true for a cluster
     * @return this builder
     */
    public Builder cluster(boolean cluster) {
      this.cluster = cluster;
      return this;
    }

    /**
     * The password (Redis {@code requirepass}, or the ACL user's password with {@link #username}); it
     * overrides one in the URI.
     *
     * @param password non-empty; copied
     * @return this builder
     */
    public Builder password(char[] password) {
      if (password == null || password.length == 0) {
        throw new IllegalArgumentException("password was " + (password == null ? "null" : "empty")
            + ", expected a non-empty password");
      }
      this.password = password.clone();
      return this;
    }

    /**
     * The password, see {@link #password(char[])}.
     *
     * @param password non-empty
     * @return this builder
     */
    public Builder password(String password) {
      if (password == null) {
        throw new IllegalArgumentException("password was null, expected a non-empty password");
      }
      return password(password.toCharArray());
    }

    /**
     * The ACL user name (Redis 6+); needs a {@link #password(char[])}.
     *
     * @param username non-empty
     * @return this builder
     */
    public Builder username(String username) {
      if (username == null || username.isEmpty()) {
        throw new IllegalArgumentException("username was '" + username + "', expected a non-empty ACL user name");
      }
      this.username = username;
      return this;
    }

    /**
     * Whether to connect with TLS (overrides the URI scheme: {@code rediss://} means TLS). Certificates
     * are verified with the JVM's default trust store.
     *
     * @param tls true for TLS
     * @return this builder
     */
    public Builder tls(boolean tls) {
      this.tls = tls;
      return this;
    }

    /**
     * The grace period added to every tile key's expiry (see the class comment of
     * {@link RedisOnlineStore}); default one hour.
     *
     * @param grace zero or positive
     * @return this builder
     */
    public Builder tileExpiryGrace(Duration grace) {
      if (grace == null || grace.isNegative()) {
        throw new IllegalArgumentException("tileExpiryGrace was " + grace + ", expected zero or a positive duration");
      }
      this.tileGraceMillis = grace.toMillis();
      return this;
    }

    /**
     * Tile keys never expire (inactive entities keep their tiles until erased or rewritten).
     *
     * @return this builder
     */
    public Builder noTileExpiry() {
      this.tileGraceMillis = -1;
      return this;
    }

    RedisURI redisUri() {
      RedisURI.Builder b = RedisURI.builder(uri).withTimeout(timeout);
      if (password != null) {
        b = username == null ? b.withPassword(password) : b.withAuthentication(username, password);
      }
      if (tls != null) {
        b = b.withSsl(tls);
      }
      return b.build();
    }

    /**
     * Connects.
     *
     * @return the store
     * @throws IllegalArgumentException when a username is set without a password, or a near-cache is
     *     requested on a cluster
     * @throws OnlineStoreUnavailableException when the server cannot be reached or refuses the credentials
     */
    public RedisOnlineStore build() {
      if (username != null && password == null) {
        throw new IllegalArgumentException("username was '" + username + "' without a password, expected "
            + "password(...) as well");
      }
      if (cluster && nearCacheSet && nearCacheSize > 0) {
        throw new IllegalArgumentException("nearCache maximumRows was " + nearCacheSize + " on a Redis Cluster, "
            + "expected 0: the near-cache works on a single server only");
      }
      return new RedisOnlineStore(this);
    }
  }

  /** For tests: the near-cache entry of a key, if any. */
  Optional<Object> cached(String view, EntityKey key) {
    return nearCache == null ? Optional.empty() : Optional.ofNullable(nearCache.getIfPresent(redisKey(view, key)));
  }
}
