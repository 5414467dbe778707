// 'wscodec/topics': publish/subscribe over WebSocket connections (Topics), with backplanes
// that carry publishes to other Topics — in this process (InProcessBus) or in others
// through Redis (createRedisBackplane; ioredis, an optional peer dependency, is loaded
// on first use). Node only; it builds on 'wscodec' (src/node/broadcast.ts).
export { Topics, type TopicSocket, type TopicsOptions, type PublishOptions } from './topics.js';
export { InProcessBus, type Backplane, type BackplaneMessage } from './backplane.js';
export { createRedisBackplane, type RedisBackplaneOptions } from './redis-backplane.js';
