import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { signRequest, signingKey } from '../../shared/aws/sigv4.js';
import { sdkSignatureMatches, TEST_CREDENTIALS } from './aws-peers.js';

describe('SigV4 signer', () => {
  it('reproduces the example of the AWS documentation (IAM ListUsers, 2015-08-30)', () => {
    // Prepare: the published example's request and credentials.
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
    // Act
    const signed = signRequest({
      method: 'GET',
      url: new URL('https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08'),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: '',
      service: 'iam',
      region: 'us-east-1',
      credentials,
      now: new Date('2015-08-30T12:36:00Z'),
    });
    // Assess: the documented intermediate values and signature.
    expect(createHash('sha256').update(signed.canonicalRequest).digest('hex')).toBe('f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59');
    expect(signingKey(credentials.secretAccessKey, '20150830', 'us-east-1', 'iam').toString('hex')).toBe('c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9');
    expect(signed.signature).toBe('5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7');
    expect(signed.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
  });

  it.each<{ name: string; service: string; method: string; url: string; body: string; headers: Record<string, string>; region: string }>([
    { name: 'a DynamoDB JSON call with a session token', service: 'dynamodb', method: 'POST', url: 'https://dynamodb.eu-west-1.amazonaws.com/', body: '{"TableName":"t","Key":{"pk":{"S":"idem#1"}}}', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' }, region: 'eu-west-1' },
    { name: 'an SQS JSON call to a port', service: 'sqs', method: 'POST', url: 'http://127.0.0.1:4576/', body: '{"QueueUrl":"https://sqs.us-east-1.amazonaws.com/1/q","Entries":[]}', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.SendMessageBatch' }, region: 'us-east-1' },
    { name: 'an S3 PUT whose key needs encoding', service: 's3', method: 'PUT', url: 'https://bucket.s3.us-east-1.amazonaws.com/archive/notifications/2026/11/27/a%20b%2Bc%C3%A9.json', body: '{"x":"é"}', headers: { 'content-type': 'application/json', 'x-amz-meta-id': '1' }, region: 'us-east-1' },
  ])('signs $name exactly as the AWS SDK signer does', async ({ service, method, url, body, headers, region }) => {
    // Act
    const parsed = new URL(url);
    const signed = signRequest({ method, url: parsed, headers, body, service, region, credentials: TEST_CREDENTIALS, s3: service === 's3' });
    // Assess
    const ok = await sdkSignatureMatches({ method, path: parsed.pathname + parsed.search, headers: signed.headers, body: Buffer.from(body) }, service, region);
    expect(ok).toBe(true);
    expect(signed.headers['x-amz-security-token']).toBe(TEST_CREDENTIALS.sessionToken);
  });

  it('is refused by the SDK signer when the body changes after signing', async () => {
    // Prepare
    const parsed = new URL('https://dynamodb.us-east-1.amazonaws.com/');
    const signed = signRequest({ method: 'POST', url: parsed, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{"a":1}', service: 'dynamodb', region: 'us-east-1', credentials: TEST_CREDENTIALS });
    // Act
    const ok = await sdkSignatureMatches({ method: 'POST', path: '/', headers: signed.headers, body: Buffer.from('{"a":2}') }, 'dynamodb', 'us-east-1');
    // Assess
    expect(ok).toBe(false);
  });
});
