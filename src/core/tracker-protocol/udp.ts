/** The UDP tracker protocol (BEP 15, with BEP 41 options): both sides' packets. */
export { decodeUdpRequest, encodeUdpRequest, udpRequestTransactionId } from './udp-request.js';
export { decodeUdpResponse, encodeUdpResponse } from './udp-response.js';
export {
  DEFAULT_UDP_LIMITS,
  UDP_ACTIONS,
  UDP_ANNOUNCE_REQUEST_BYTES,
  UDP_ANNOUNCE_RESPONSE_HEADER_BYTES,
  UDP_CONNECT_REQUEST_BYTES,
  UDP_CONNECT_RESPONSE_BYTES,
  UDP_EVENTS,
  UDP_MAX_SCRAPE_HASHES,
  UDP_PROTOCOL_ID,
  type UdpAction,
  type UdpAnnounceRequest,
  type UdpAnnounceResponse,
  type UdpConnectRequest,
  type UdpConnectResponse,
  type UdpErrorResponse,
  type UdpLimits,
  type UdpRequest,
  type UdpResponse,
  type UdpScrapeRequest,
  type UdpScrapeResponse,
  type UdpScrapeStats,
} from './udp-types.js';
