import { Redis } from "ioredis";

/** A Redis connection whose commands and socket writes are counted (how many round trips a step takes). */
export interface CountedRedis {
  redis: Redis;
  commands: number;
  writes: number;
}

export async function countedRedis(url: string): Promise<CountedRedis> {
  const redis = new Redis(url);
  await redis.ping();
  const counted: CountedRedis = { redis, commands: 0, writes: 0 };
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((...args: Parameters<Redis["sendCommand"]>) => {
    counted.commands++;
    return send(...args);
  }) as Redis["sendCommand"];
  const stream = (redis as unknown as { stream: { write: (...args: unknown[]) => boolean } }).stream;
  const write = stream.write.bind(stream);
  stream.write = (...args: unknown[]) => {
    counted.writes++;
    return write(...args);
  };
  return counted;
}
