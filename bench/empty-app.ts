// The synth floor: a cdktf app holding one empty stack, started the same way as main.ts.
import { App, TerraformStack } from "cdktf";

const app = new App();
new TerraformStack(app, "empty");
app.synth();
