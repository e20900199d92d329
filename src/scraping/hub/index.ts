/** Docker Hub HTTP client: the public API of src/scraping/hub. */
export { DockerHubClient, HUB_MAX_PAGE_SIZE, TOKEN_REFRESH_MS } from './docker-hub-client';
export type { DockerHubClientOptions } from './docker-hub-client';
export {
  HubError,
  HubNotFoundError,
  HubHttpError,
  HubResponseError,
  HubTimeoutError,
  HubNetworkError,
  HubRateLimitError,
  HubAuthError,
  HubUnreachableError,
  isHubError,
  abortError,
} from './hub-errors';
export type { HubErrorKind, HubErrorInit } from './hub-errors';
export type { HubRepository, HubTag, HubTagImage, TagList, HubClientObserver, HubEndpoint, RateLimitSource } from './hub-types';
export { RateLimitGate, rateLimitPauseFrom } from './rate-limit-gate';
export type { RateLimitPause } from './rate-limit-gate';
export { parseRepository, parseTagPage, HubShapeError } from './hub-parse';
export { CircuitBreaker } from './circuit-breaker';
export type { CircuitSnapshot, CircuitState } from './circuit-breaker';
