import { App } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { addLoyaltyPlatform } from '../../lib/loyalty-app';
import { logicalId, removeAssembly, synthesize, type Synthesized } from './synth';

/** The optional custom domain (`-c domainName=… -c certificateArn=…`): served only with TLS 1.2 or later. */

const DOMAIN = 'loyalty.example.com';
const CERTIFICATE = 'arn:aws:acm:eu-west-1:111122223333:certificate/0b8c6a52-5b8e-4c4e-9f0e-6a7f1c2d3e4f';
let synth: Synthesized;

beforeAll(() => {
  synth = synthesize('test', { context: { domainName: DOMAIN, certificateArn: CERTIFICATE } });
});
afterAll(() => {
  removeAssembly(synth);
});

describe('custom domain', () => {
  it('serves the API on the domain with the TLS 1.2 security policy and its regional certificate', () => {
    synth.template.resourceCountIs('AWS::ApiGateway::DomainName', 1);
    synth.template.hasResourceProperties('AWS::ApiGateway::DomainName', {
      DomainName: DOMAIN,
      SecurityPolicy: 'TLS_1_2',
      RegionalCertificateArn: CERTIFICATE,
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
  });

  it('maps the domain root to the stage', () => {
    // Prepare
    const restApiId = logicalId(synth.stack, synth.stack.api.restApi);

    // Assess
    synth.template.hasResourceProperties('AWS::ApiGateway::BasePathMapping', {
      RestApiId: { Ref: restApiId },
      Stage: { Ref: logicalId(synth.stack, synth.stack.api.restApi.deploymentStage) },
      BasePath: Match.absent(),
    });
  });

  it('turns the execute-api address off, so no caller gets around the TLS policy', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::RestApi', { DisableExecuteApiEndpoint: true });
  });

  it('outputs where DNS must point and the URL callers use', () => {
    synth.template.hasOutput('*', { Value: `https://${DOMAIN}/` });
    synth.template.hasOutput('*', { Value: { 'Fn::GetAtt': [Match.anyValue(), 'RegionalDomainName'] } });
  });

  it('adds no cdk-nag finding', () => {
    const findings = [
      ...Annotations.fromStack(synth.stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
      ...Annotations.fromStack(synth.stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ];
    expect(findings.map((finding) => finding.id)).toEqual([]);
  });

  it('refuses a domain without a certificate and a certificate without a domain', () => {
    expect(() => addLoyaltyPlatform(new App({ context: { domainName: DOMAIN } }))).toThrow(
      'A custom domain needs both domainName and certificateArn',
    );
    expect(() => addLoyaltyPlatform(new App({ context: { certificateArn: CERTIFICATE } }))).toThrow(
      'A custom domain needs both domainName and certificateArn',
    );
  });
});
