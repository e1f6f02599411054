// End-to-end against the real Docker engine: "Debug in Container" on a score.py builds the debug
// image, runs it, and brings the status bar to "ready"; "Send Test Request" shows the served
// response in a read-only editor. Skipped (with the reason) when no engine or base image is there:
// .ci/setup-docker.sh provides both.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { copyFixture, ensureVsix, freePort, Workbench } from './workbench.mjs';

const BASE_IMAGE = process.env.AMLDEBUG_TEST_BASE_IMAGE ?? 'amldebug-test/python-base:bookworm';
const RUN_ID = `${process.pid}`;
const CONTAINER = `amldebug-e2e-${RUN_ID}`;
const IMAGE = `amldebug-e2e:${RUN_ID}`;

function dockerUnavailable() {
    try {
        execFileSync('docker', ['image', 'inspect', BASE_IMAGE], { stdio: 'ignore' });
        return false;
    } catch {
        return `no Docker engine or no base image ${BASE_IMAGE}; run .ci/setup-docker.sh`;
    }
}

const skip = dockerUnavailable();
let workbench;
let workspace;
let port;

before(async () => {
    if (skip) {
        return;
    }
    workspace = copyFixture('served-project');
    port = await freePort();
    const settings = {
        'amldebug.baseImage': BASE_IMAGE,
        'amldebug.caBundle': 'auto',
        'amldebug.runtime': 'docker',
        'amldebug.port': port,
        'amldebug.debugPort': await freePort(),
        'amldebug.containerName': CONTAINER,
        'amldebug.imageTag': IMAGE,
    };
    fs.mkdirSync(path.join(workspace, '.vscode'));
    fs.writeFileSync(
        path.join(workspace, '.vscode', 'settings.json'),
        JSON.stringify(settings, null, 2),
    );
    workbench = new Workbench(workspace, 'docker');
    workbench.installExtension(ensureVsix());
    await workbench.start();
});

after(async () => {
    await workbench?.close();
    if (!skip) {
        execFileSync('docker', ['rm', '-f', CONTAINER], { stdio: 'ignore' });
        execFileSync('docker', ['rmi', '-f', IMAGE], { stdio: 'ignore' });
    }
});

test('Debug in Container builds, runs and reports ready in the status bar', { skip }, async () => {
    const statusItem = workbench.page
        .locator('.part.statusbar .statusbar-item')
        .filter({ hasText: 'Azure ML' })
        .first();
    await statusItem.waitFor({ state: 'visible', timeout: 90_000 });
    await workbench.openFile('score.py');
    await workbench.runCommand('Azure ML: Debug in Container');
    await workbench.screenshot('debug-in-container-started');
    const ready = workbench.page
        .locator('.part.statusbar .statusbar-item')
        .filter({ hasText: `ready on :${port}` });
    await ready.first().waitFor({ state: 'visible', timeout: 420_000 });
    await workbench.screenshot('container-ready');
    assert.match(await ready.first().innerText(), new RegExp(`Azure ML: ready on :${port}`));
    const running = execFileSync('docker', ['inspect', '-f', '{{.State.Running}}', CONTAINER], {
        encoding: 'utf8',
    });
    assert.equal(running.trim(), 'true');
});

test('Send Test Request shows the status and the served prediction', { skip }, async () => {
    await workbench.runCommand('Azure ML: Send Test Request');
    const tab = workbench.page
        .locator('.tabs-container .tab')
        .filter({ hasText: 'response.jsonc' });
    await tab.first().waitFor({ state: 'visible', timeout: 60_000 });
    // Monaco renders spaces as no-break spaces.
    await workbench.page
        .waitForFunction(
            () =>
                [...document.querySelectorAll('.view-lines')].some((e) =>
                    e.textContent.replace(/\u00a0/g, ' ').includes('HTTP 200'),
                ),
            undefined,
            { timeout: 60_000, polling: 500 },
        )
        .catch(async (error) => {
            await workbench.screenshot('test-request-failed');
            throw error;
        });
    await workbench.screenshot('test-request-response');
    const text = await workbench.page.evaluate(() =>
        [...document.querySelectorAll('.view-lines')]
            .map((e) => e.textContent.replace(/\u00a0/g, ' '))
            .find((t) => t.includes('HTTP 200')),
    );
    assert.match(text, /POST http:\/\/127\.0\.0\.1:\d+\/score -> HTTP 200 in \d+ ms/);
    // The model's weights are [1, 2, 3] and the sample row is [1, 1, 1].
    assert.match(text, /"predictions":\s*\[\s*6(\.0)?\s*\]/);
});

test(
    'a failing image build is shown in the Problems panel on the conda line',
    { skip },
    async () => {
        const conda = path.join(workspace, 'conda.yml');
        const broken = fs
            .readFileSync(conda, 'utf8')
            .replace(
                '      - azureml-inference-server-http==1.5.1\n',
                '      - azureml-inference-server-http==1.5.1\n      - amldebug-no-such-package==9.9.9\n',
            );
        fs.writeFileSync(conda, broken);
        await workbench.dismissNotifications();
        await workbench.runCommand('Azure ML: Debug in Container');
        const problems = await workbench.problemsShowing('The image build failed here', 420_000);
        await workbench.screenshot('build-failure-in-problems');
        assert.match(problems, /conda\.yml/);
        assert.match(problems, /amldebug-no-such-package/);
        assert.match(problems, /Ln 9/);
    },
);
