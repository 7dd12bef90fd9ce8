<?php
// System tags, versions and the trash bin: a restricted "Confidential" tag on alice's Documents/Budget.csv and on
// her folder Plans/Q3 (hiding Plans/Q3/Milestones.txt through its parent), a public "Project" tag, an invisible
// "Audit" tag only admins see; two earlier versions of Documents/Notes.txt; one item in alice's trash bin.
declare(strict_types=1);

use SimDav\FsContext;
use SimDav\Shares;
use SimDav\TagStore;
use SimDav\TrashStore;
use SimDav\VersionStore;

$aliceCtx = new FsContext($dataDir, 'alice', $cache, new Shares($pdo));
$idOf = fn (string $path): int => $cache->get('alice', $path)['fileid'];

$confidential = TagStore::create($pdo, 'Confidential', 'restricted');
$project = TagStore::create($pdo, 'Project', 'public');
$audit = TagStore::create($pdo, 'Audit', 'invisible');
$tags = new TagStore($pdo, 'admin');
$tags->assign($confidential, $idOf('Documents/Budget.csv'));
$tags->assign($confidential, $idOf('Plans/Q3'));
$tags->assign($project, $idOf('Plans/Roadmap.md'));
$tags->assign($project, $idOf('Documents/Notes.txt'));
$tags->assign($audit, $idOf('Documents/Notes.txt'));

$notes = $idOf('Documents/Notes.txt');
VersionStore::seed($aliceCtx, 'alice', $notes, $day - 2 * 86400 + 3600, "Shopping list: tea.\n", 'alice');
VersionStore::seed($aliceCtx, 'alice', $notes, $day - 86400 + 3600, "Shopping list: tea, biscuits.\n", 'alice');

$deletedAt = $day - 86400 + 7200;
$item = 'Old draft.txt.d' . $deletedAt;
file_put_contents("$dataDir/alice/trash/$item", "A first draft nobody needs any more.\n");
$draftId = $idOf('Documents/Old draft.txt');
$cache->forget('alice', 'Documents/Old draft.txt');
TrashStore::record($aliceCtx, 'alice', $item, 'Documents/Old draft.txt', $draftId);
$pdo->prepare('UPDATE trash SET deleted_at = ? WHERE owner = ? AND item = ?')->execute([$deletedAt, 'alice', $item]);
