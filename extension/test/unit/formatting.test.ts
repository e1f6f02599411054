import * as assert from 'assert';
import {
    failureMessage,
    formatLogExplanation,
    formatReplicaEstimate,
    formatTestResponse,
} from '../../src/formatting';

describe('result formatting', () => {
    it('shows the test response status, timing, headers and pretty JSON', () => {
        const text = formatTestResponse(
            {
                ok: true,
                status: 200,
                elapsedMs: 41.6,
                headers: { 'content-type': 'application/json' },
                body: '{"prediction":[12.0]}',
                json: { prediction: [12.0] },
            },
            'http://127.0.0.1:8000/score',
            'sample-request.json',
        );
        const lines = text.split('\n');
        assert.strictEqual(lines[0], '// POST http://127.0.0.1:8000/score -> HTTP 200 in 42 ms');
        assert.strictEqual(lines[1], '// request body: sample-request.json');
        assert.strictEqual(lines[2], '// content-type: application/json');
        assert.ok(text.includes('{\n  "prediction": [\n    12\n  ]\n}'));
    });

    it('pretty-prints a JSON body even without the parsed copy, and keeps text bodies', () => {
        const failed = { ok: false, error: 'The server answered 502.', elapsedMs: 3, headers: {} };
        assert.ok(
            formatTestResponse({ ...failed, status: 502, body: '{"a":1}' }, 'u', 'r').includes(
                '{\n  "a": 1\n}',
            ),
        );
        assert.ok(
            formatTestResponse(
                { ...failed, status: 500, body: 'Traceback ...' },
                'u',
                'r',
            ).includes('HTTP 500'),
        );
    });

    it('renders log findings as Markdown with the fix', () => {
        const markdown = formatLogExplanation({
            ok: true,
            findings: [
                {
                    id: 'AML401',
                    title: 'Key Vault access policy missing',
                    explanation: 'The workspace identity lost access to its Key Vault.',
                    fix: 'Re-grant the workspace identity access to the Key Vault.',
                    matched: 'HTTP 500 at image creation',
                    line: 12,
                    count: 1,
                },
            ],
        });
        assert.match(markdown, /## AML401: Key Vault access policy missing/);
        assert.match(markdown, /\*\*What to do:\*\* Re-grant/);
        assert.match(markdown, /Matched \(log line 12\):/);
        assert.match(formatLogExplanation({ ok: true, findings: [] }), /No known Azure ML failure/);
    });

    it('says what failed, why and what to do next', () => {
        assert.strictEqual(
            failureMessage('Building the debug image', {
                ok: false,
                error: 'Docker is not running.',
                hint: 'Start Docker Desktop.',
            }),
            'Azure ML: Building the debug image failed: Docker is not running. Start Docker Desktop.',
        );
        assert.strictEqual(
            failureMessage('Pulling base:1', {
                ok: false,
                error: 'not found',
                hint: 'Log in first.',
            }),
            'Azure ML: Pulling base:1 failed: not found. Log in first.',
        );
        const estimate = {
            ok: true as const,
            replicas: 4,
            requestTime: 0.5,
            maxConcurrent: 1,
            targetUtilization: 0.7,
            targetUtilizationPercent: 70,
            utilizationReading: '70 read as 70 %',
            headroomPercent: 30,
            formula: 'ceil(rps x seconds / utilization / concurrent)',
            arithmetic: 'ceil(5 x 0.5 / 0.7 / 1) = ceil(3.57) = 4',
            text: '',
        };
        assert.match(formatReplicaEstimate(estimate), /about 4 replica.*ceil\(3\.57\) = 4/);
    });
});
