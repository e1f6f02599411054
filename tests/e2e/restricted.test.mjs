// End-to-end in Restricted Mode (an untrusted folder): diagnostics still appear, and the commands
// that would run Docker or code from the workspace refuse with a message that says why.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, test } from 'node:test';
import { copyFixture, ensureVsix, Workbench } from './workbench.mjs';

let workbench;

before(async () => {
    workbench = new Workbench(copyFixture('aml-project'), 'restricted', { trusted: false });
    assert.match(workbench.installExtension(ensureVsix()), /successfully installed/);
    assert.ok(fs.existsSync(workbench.extensionsDir));
    await workbench.start();
});

after(async () => {
    await workbench?.close();
});

test('diagnostics appear in Restricted Mode', async () => {
    await workbench.page
        .locator('.part.statusbar .statusbar-item')
        .filter({ hasText: 'Restricted Mode' })
        .first()
        .waitFor({ state: 'visible', timeout: 60_000 });
    await workbench.openFile('conda.yml');
    const problems = await workbench.problemsShowing('AML204');
    await workbench.screenshot('restricted-problems');
    assert.match(problems, /AML209/);
});

test('Debug in Container is refused in Restricted Mode with the reason', async () => {
    await workbench.dismissNotifications();
    await workbench.runCommand('Azure ML: Debug in Container');
    const toast = workbench.page
        .locator('.notification-toast')
        .filter({ hasText: 'disabled in Restricted Mode' })
        .first();
    await toast.waitFor({ state: 'visible', timeout: 30_000 });
    await workbench.screenshot('restricted-refusal');
    const text = await toast.innerText();
    assert.match(text, /Debug in Container runs Docker and code from this workspace/);
    assert.match(text, /Manage Workspace Trust/);
});
