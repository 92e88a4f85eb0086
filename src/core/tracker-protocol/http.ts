/** The HTTP tracker protocol (BEP 3, 7, 23, 24, 31, 48): client and tracker sides. */

export {
  type AnnounceRequest,
  DEFAULT_HTTP_REQUEST_LIMITS,
  type HttpRequestLimits,
  parseAnnounceQuery,
  parseScrapeQuery,
  type ScrapeRequest,
} from './http-request.js';
export {
  type AnnounceEncodeOptions,
  type AnnounceResponse,
  encodeAnnounceResponse,
  encodeFailureResponse,
  parseAnnounceResponse,
} from './http-response.js';
export {
  encodeScrapeResponse,
  parseScrapeResponse,
  type ScrapeFile,
  type ScrapeResponse,
} from './http-scrape.js';
export {
  type AnnounceParams,
  buildAnnounceUrl,
  buildScrapeUrl,
  scrapeUrlFor,
} from './http-url.js';
export { DEFAULT_HTTP_RESPONSE_LIMITS, type HttpResponseLimits } from './response-body.js';
