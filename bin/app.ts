import { App } from 'aws-cdk-lib';
import { addLoyaltyPlatform } from '../lib/loyalty-app';
import { pipelineConfigOf, pipelineContextKeys } from '../lib/pipeline-config';
import { PipelineStack } from '../lib/pipeline-stack';

const app = new App();
const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
// `-c pipeline=true`: the delivery pipeline alone (it holds every stage); otherwise the one stage of `-c stage=…`.
if (String(app.node.tryGetContext(pipelineContextKeys.enabled)) === 'true') {
  new PipelineStack(app, 'LoyaltyLedgerPipeline', { config: pipelineConfigOf(app.node), env });
} else {
  addLoyaltyPlatform(app, env);
}
app.synth();
