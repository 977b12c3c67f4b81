package org.sieveml.features.redis;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.sieveml.core.EntityKey;
import org.sieveml.features.OnlineRow;
import org.sieveml.features.OnlineStore;
import org.sieveml.features.OnlineStoreUnavailableException;
import org.sieveml.features.internal.RowCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link OnlineStore} on Redis, shared by every replica of a service, with a Caffeine near-cache
 * in each replica. A host switches to it from the embedded store by passing it to
 * {@code FeatureStore.builder(registry).onlineStore(...)}; nothing else changes.
 *
 * <p><b>Data.</b> One Redis string per (view, entity key) under {@code <prefix>:<view>:<key>}: the event
 * and created times in ASCII, then a format byte, the row (self-describing binary; never Java
 * serialization) and a CRC32C. Writes go through one Lua script per batch that keeps, per key, the newer row
 * ({@link OnlineRow#isNewerThan}: later event time, then later or equal created time), so an older
 * event never overwrites a newer one whichever replica writes; batches of {@code batchSize} rows are
 * sent without waiting for each other. Reads fetch all missing keys with one {@code MGET} (one round
 * trip). TTL and the PRESENT / NOT_FOUND / EXPIRED statuses are applied by the {@code FeatureStore}
 * on every read, as with the embedded store.
 *
 * <p><b>Near-cache.</b> Rows (and absences) read from Redis are kept in a bounded Caffeine cache with
 * a time-to-live. The connection subscribes to Redis 6+ client-side-caching invalidations in
 * broadcast mode for the store's prefix ({@code CLIENT TRACKING ON BCAST PREFIX}), so a write by any
 * replica evicts the key from every replica's near-cache; a read that raced with an invalidation is
 * not cached. When the connection drops, the near-cache is cleared and bypassed until tracking is
 * re-established on the new connection, so an invalidation missed while disconnected can never
 * leave a stale row behind. {@link #nearCacheHitRate()} reports the hit rate.
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
  private static final byte FORMAT = 1;

  /**
   * Per key (KEYS[i]) the new value ARGV[i] = {@code "<event>,<created>;"} + row: written only if it is
   * not older than the stored value (by event time, then created time; ties go to the new one).
   */
  static final String WRITE_SCRIPT = String.join("\n",
      "local function times(v)",
      "  local e, c = string.match(v, '^(%-?%d+),(%-?%d+);')",
      "  return tonumber(e), tonumber(c)",
      "end",
      "local applied = 0",
      "for i = 1, #KEYS do",
      "  local e, c = times(ARGV[i])",
      "  local cur = redis.call('GET', KEYS[i])",
      "  local keep = false",
      "  if cur then",
      "    local ce, cc = times(cur)",
      "    keep = ce ~= nil and (e < ce or (e == ce and c < cc))",
      "  end",
      "  if not keep then",
      "    redis.call('SET', KEYS[i], ARGV[i])",
      "    applied = applied + 1",
      "  end",
      "end",
      "return applied");

  private static final Object ABSENT = new Object();

  private final RedisURI uri;
  private final RedisClient client;
  private final StatefulRedisConnection<byte[], byte[]> connection;
  private final String prefix;
  private final int batchSize;
  private final Duration timeout;
  private final Cache<String, Object> nearCache;
  private final RowCodec codec = new RowCodec();
  private final AtomicLong invalidations = new AtomicLong();
  /** Invalidations (exclusive) against "check that nothing was invalidated, then cache" (shared). */
  private final java.util.concurrent.locks.ReentrantReadWriteLock cacheGate =
      new java.util.concurrent.locks.ReentrantReadWriteLock();
  private volatile boolean tracking;
  private final byte[] writeSha;

  private RedisOnlineStore(Builder b) {
    this.uri = RedisURI.builder(b.uri).withTimeout(b.timeout).build();
    this.prefix = b.prefix;
    this.batchSize = b.batchSize;
    this.timeout = b.timeout;
    this.nearCache = b.nearCacheSize == 0 ? null
        : Caffeine.newBuilder().maximumSize(b.nearCacheSize).expireAfterWrite(b.nearCacheTtl).recordStats().build();
    this.client = RedisClient.create(uri);
    client.setOptions(ClientOptions.builder()
        .protocolVersion(ProtocolVersion.RESP3)
        .autoReconnect(true)
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(b.timeout))
        .build());
    try {
      this.connection = client.connect(ByteArrayCodec.INSTANCE);
    } catch (RuntimeException e) {
      client.shutdown(0, 0, TimeUnit.MILLISECONDS);
      throw new OnlineStoreUnavailableException("cannot connect to Redis at " + where() + ": " + e.getMessage(), e);
    }
    try {
      if (nearCache != null) {
        connection.addListener(this::onPush);
        client.addListener(new RedisConnectionStateListener() {
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
      this.writeSha = bytes(await("load the write script", connection.async().scriptLoad(WRITE_SCRIPT)));
    } catch (RuntimeException e) {
      close();
      throw e;
    }
    LOG.info("Redis online store at {} (prefix '{}', near-cache {})", where(), prefix,
        nearCache == null ? "off" : b.nearCacheSize + " rows, ttl " + b.nearCacheTtl);
  }

  /**
   * Starts a builder for a server.
   *
   * @param redisUri e.g. {@code redis://127.0.0.1:6379} (Lettuce URI syntax: password, database, TLS)
   * @return a builder with the defaults: prefix {@code sieveml}, batches of 500, 500 ms timeout,
   *     near-cache of 100,000 rows with a 60 s time-to-live
   */
  public static Builder builder(String redisUri) {
    return new Builder(redisUri);
  }

  private TrackingArgs trackingArgs() {
    return TrackingArgs.Builder.enabled().bcast().prefixes(StandardCharsets.UTF_8, prefix + ":");
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
    List<RedisFuture<Long>> pending = new ArrayList<>(rows.size() / batchSize + 1);
    List<byte[][][]> batches = new ArrayList<>();
    String[] cacheKeys = new String[rows.size()];
    for (int from = 0; from < rows.size(); from += batchSize) {
      int to = Math.min(rows.size(), from + batchSize);
      byte[][] keys = new byte[to - from][];
      byte[][] args = new byte[to - from][];
      for (int i = from; i < to; i++) {
        OnlineRow row = rows.get(i);
        String key = redisKey(view, row.key());
        cacheKeys[i] = key;
        keys[i - from] = key.getBytes(StandardCharsets.ISO_8859_1);
        args[i - from] = encode(view, row);
      }
      batches.add(new byte[][][] {keys, args});
      pending.add(evalsha(writeSha, ScriptOutputType.INTEGER, keys, args));
    }
    long applied = 0;
    try {
      for (int b = 0; b < pending.size(); b++) {
        String what = "write " + rows.size() + " rows of view '" + view + "'";
        byte[][][] batch = batches.get(b);
        applied += retryWithoutScriptCache(what, pending.get(b), WRITE_SCRIPT, ScriptOutputType.INTEGER, batch[0],
            batch[1]);
      }
    } finally {
      if (nearCache != null) {
        // our own writes: never serve the replaced row from this replica's cache
        invalidate(Arrays.asList(cacheKeys));
      }
    }
    return (int) applied;
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
        ks[m] = redisKeys[missing[m]].getBytes(StandardCharsets.ISO_8859_1);
      }
      List<io.lettuce.core.KeyValue<byte[], byte[]>> values = await("read " + misses + " keys of view '" + view + "'",
          connection.async().mget(ks));
      for (int m = 0; m < misses; m++) {
        io.lettuce.core.KeyValue<byte[], byte[]> kv = m < values.size() ? values.get(m) : null;
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

  @Override
  public void addTiles(String view, List<org.sieveml.features.WindowTiles> deltas,
      org.sieveml.features.WindowTiles.Retention retention) {
    throw new UnsupportedOperationException("window tiles on Redis: in progress");
  }

  @Override
  public void putTiles(String view, List<org.sieveml.features.WindowTiles> tiles) {
    throw new UnsupportedOperationException("window tiles on Redis: in progress");
  }

  @Override
  public List<org.sieveml.features.WindowTiles> readTiles(String view, List<EntityKey> keys) {
    throw new UnsupportedOperationException("window tiles on Redis: in progress");
  }

  @Override
  public void erase(String view, EntityKey key) {
    throw new UnsupportedOperationException("erase on Redis: in progress");
  }

  @Override
  public long readMark(String name) {
    throw new UnsupportedOperationException("marks on Redis: in progress");
  }

  @Override
  public void advanceMark(String name, long value) {
    throw new UnsupportedOperationException("marks on Redis: in progress");
  }

  @Override
  public void clear(String view) {
    Objects.requireNonNull(view, "view");
    byte[] pattern = (prefix + ":" + escape(view) + ":*").getBytes(StandardCharsets.ISO_8859_1);
    io.lettuce.core.ScanCursor cursor = io.lettuce.core.ScanCursor.INITIAL;
    io.lettuce.core.ScanArgs args = io.lettuce.core.ScanArgs.Builder.matches(pattern).limit(1000);
    do {
      io.lettuce.core.KeyScanCursor<byte[]> page = await("scan view '" + view + "'", connection.async().scan(cursor, args));
      if (!page.getKeys().isEmpty()) {
        await("clear view '" + view + "'", connection.async().unlink(page.getKeys().toArray(new byte[0][])));
      }
      cursor = page;
    } while (!cursor.isFinished());
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
   * Whether the near-cache currently serves reads (it is off while tracking is being re-established
   * after a reconnect).
   *
   * @return true when reads may be answered from the near-cache
   */
  public boolean nearCacheActive() {
    return nearCache != null && tracking;
  }

  /** Empties this replica's near-cache (for tests and benchmarks of the cold path). */
  public void invalidateNearCache() {
    if (nearCache != null) {
      invalidate(null);
    }
  }

  @Override
  public void close() {
    try {
      if (connection != null) {
        connection.close();
      }
    } finally {
      client.shutdown(0, 2, TimeUnit.SECONDS);
    }
  }

  @Override
  public String toString() {
    return "RedisOnlineStore[" + where() + ", prefix=" + prefix + ", nearCache=" + (nearCache != null) + "]";
  }

  private <T> RedisFuture<T> evalsha(byte[] sha, ScriptOutputType type, byte[][] keys, byte[][] args) {
    return connection.async().evalsha(new String(sha, StandardCharsets.US_ASCII), type, keys, args);
  }

  /**
   * Awaits a script call; when the server lost its script cache (a restart, SCRIPT FLUSH), sends the
   * script itself once with EVAL, which also caches it again.
   */
  private <T> T retryWithoutScriptCache(String what, RedisFuture<T> f, String script, ScriptOutputType type,
      byte[][] keys, byte[][] args) {
    try {
      return await(what, f);
    } catch (OnlineStoreUnavailableException e) {
      if (!(e.getCause() instanceof io.lettuce.core.RedisNoScriptException)) {
        throw e;
      }
      LOG.info("Redis online store at {}: script cache was flushed (restart?), sending the script again", where());
      return await(what, connection.async().eval(script.getBytes(StandardCharsets.UTF_8), type, keys, args));
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

  private static byte[] bytes(String sha) {
    return sha.getBytes(StandardCharsets.US_ASCII);
  }

  /** {@code <prefix>:<view>:<name>=<L|S><value>|...}, with '%', ':', '|' and '=' percent-escaped. */
  String redisKey(String view, EntityKey key) {
    StringBuilder b = new StringBuilder(prefix.length() + view.length() + 32);
    b.append(prefix).append(':').append(escape(view)).append(':');
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
    // Redis keys are bytes: UTF-8 encode, then carry the bytes in a Latin-1 string
    return new String(b.toString().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  private static String escape(String s) {
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' || c == ':' || c == '|' || c == '=') {
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

  /** {@code "<event>,<created>;"}, then the format byte, the row and a CRC32C of everything before it. */
  private byte[] encode(String view, OnlineRow row) {
    byte[] header = (row.eventTime() + "," + row.createdTime() + ";").getBytes(StandardCharsets.US_ASCII);
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
    while (h < b.length && h < 48 && b[h] != ';') {
      h++;
    }
    if (h >= b.length - 5 || b[h] != ';' || b[h + 1] != FORMAT) {
      throw new IllegalStateException("Redis value of " + view + "/" + expected + " at " + where()
          + " is not in this store's format " + FORMAT + " (times header, format byte, row, CRC32C); not written by "
          + "this store?");
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
      RowCodec.Decoded d = codec.decode(b, h + 2, b.length - h - 6);
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

  /** Validated settings of a {@link RedisOnlineStore}. Not thread-safe. */
  public static final class Builder {
    private final RedisURI uri;
    private String prefix = "sieveml";
    private int batchSize = 500;
    private Duration timeout = Duration.ofMillis(500);
    private long nearCacheSize = 100_000;
    private Duration nearCacheTtl = Duration.ofSeconds(60);

    private Builder(String redisUri) {
      Objects.requireNonNull(redisUri, "redisUri");
      try {
        this.uri = RedisURI.create(redisUri);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("redisUri was '" + redisUri + "', expected e.g. redis://host:6379", e);
      }
    }

    /**
     * The key prefix, so several stores can share one server.
     *
     * @param prefix non-empty, without ':'
     * @return this builder
     */
    public Builder prefix(String prefix) {
      if (prefix == null || prefix.isEmpty() || prefix.indexOf(':') >= 0) {
        throw new IllegalArgumentException("prefix was '" + prefix + "', expected a non-empty name without ':'");
      }
      this.prefix = prefix;
      return this;
    }

    /**
     * Rows per write script call.
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
     * The near-cache's bounds.
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
      return this;
    }

    /**
     * Connects.
     *
     * @return the store
     * @throws OnlineStoreUnavailableException when the server cannot be reached
     */
    public RedisOnlineStore build() {
      return new RedisOnlineStore(this);
    }
  }

  /** For tests: the near-cache entry of a key, if any. */
  Optional<Object> cached(String view, EntityKey key) {
    return nearCache == null ? Optional.empty() : Optional.ofNullable(nearCache.getIfPresent(redisKey(view, key)));
  }
}
