<?php
// Notes app demo data: notes are plain files below each user's notes folder ("Notes"), categories are the
// folders below it. Hidden folders (.attachments.*) and files with other suffixes are no notes.
declare(strict_types=1);

$notes = [
    ['alice', 'Notes/Work/Standup agenda.md', "# Standup agenda\n\n- Croquet lawn booking\n- Hedge trimming\n"],
    ['alice', 'Notes/Work/Ideas/Croquet rules.md', "# Croquet rules\n\nFlamingos as mallets, hedgehogs as balls.\n"],
    ['alice', 'Notes/Recipes/Scones.txt', "Flour, butter, milk. Bake for twelve minutes.\n"],
    ['alice', 'Notes/.attachments.1/sketch.txt', "Not a note: attachments live in hidden folders.\n"],
    ['alice', 'Notes/Work/diagram.svg', "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n"],
    ['bob', 'Notes/Site/Scaffolding checklist.md', "Check the couplers before climbing.\n"],
];
foreach ($notes as [$uid, $path, $content]) {
    put($dataDir, $uid, $path, $content);
    // File ids for the new folders and file, after those of the main seed.
    $parts = explode('/', $path);
    for ($i = 1; $i <= count($parts); $i++) $cache->get($uid, implode('/', array_slice($parts, 0, $i)));
}
