/**
 * The one place a Kaltura service URL is read (SPEC §3). Users write it either way: the official
 * clients take the bare host (`https://www.kaltura.com`) and add `/api_v3` themselves, the guides
 * write `https://www.kaltura.com/api_v3`. Both, with or without a trailing `/` (and the
 * `/api_v3/index.php` form of `report.serve` URLs), give `https://www.kaltura.com/api_v3`, to which
 * the client appends `/service/<svc>/action/<act>`. A path before `/api_v3` (an on-premises server
 * under `/kaltura`) is kept.
 */
import { KalturaConfigError } from './errors.js';

export function normalizeServiceUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new KalturaConfigError(`KALTURA_SERVICE_URL is not a URL: set it to your Kaltura server, e.g. https://www.kaltura.com (or .../api_v3).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new KalturaConfigError(`KALTURA_SERVICE_URL must be an http(s) URL such as https://www.kaltura.com (got a ${url.protocol} URL).`);
  }
  if (url.username || url.password) {
    // Credentials in the URL would end up in every request line and error: Kaltura takes them in the body.
    throw new KalturaConfigError('KALTURA_SERVICE_URL must not contain a user name or password: set KALTURA_PARTNER_ID and KALTURA_ADMIN_SECRET (or an app token) instead.');
  }
  let path = url.pathname.replace(/\/+$/, '');
  path = path.replace(/\/api_v3\/index\.php$/i, '/api_v3');
  if (!/\/api_v3$/i.test(path)) path += '/api_v3';
  // The query and fragment are dropped: the client adds its own path after the base.
  return `${url.origin}${path}`;
}
