<?php
declare(strict_types=1);

namespace SimDav;

use Sabre\VObject;

// Data for the unified search providers `files` and `calendar` (contract 5.3), served to the Node side as
// /_sim/search/{files,calendar}: the PHP backend owns files and events, Node wraps the result in OCS.
final class SimSearch
{
    private \PDO $pdo;
    private FsContext $ctx;

    public function __construct(string $dataDir, private string $uid, private string $publicUrl)
    {
        $this->pdo = Db::open($dataDir);
        $this->ctx = new FsContext($dataDir, $uid, new FileCache($this->pdo), new Shares($this->pdo));
    }

    /** FilesSearchProvider: name contains term (case-insensitive), newest first, cursor = offset + limit. */
    public function files(string $term, int $limit, int $cursor): array
    {
        $home = new FsDirectory($this->ctx, $this->uid, '', $this->uid);
        $hits = [];
        $this->walk($home, '', $term, $hits);
        usort($hits, fn (array $a, array $b) => [$b['mtime'], $a['path']] <=> [$a['mtime'], $b['path']]);
        $entries = [];
        foreach (array_slice($hits, $cursor, $limit) as $hit) {
            /** @var FsNode $node */
            $node = $hit['node'];
            $fileId = (string) $node->fileId();
            $path = $hit['path'];
            $parent = ltrim(dirname($path), '/');
            $entries[] = [
                'thumbnailUrl' => '',
                'title' => $node->getName(),
                // Nextcloud omits the location for nodes in the user's root.
                'subline' => $parent === '' || $parent === '.' ? '' : 'in ' . $parent,
                'resourceUrl' => $this->publicUrl . '/index.php/f/' . $fileId,
                // A server-relative image path, as IMimeTypeDetector::mimeTypeIcon() gives it.
                'icon' => $node instanceof FsDirectory ? 'icon-folder' : '/core/img/filetypes/' . self::mimeIcon(FsFile::mimeFor($node->getName())) . '.svg',
                'rounded' => false,
                'attributes' => ['fileId' => $fileId, 'path' => $path],
            ];
        }
        return ['entries' => $entries, 'cursor' => $cursor + $limit, 'isPaginated' => true];
    }

    /** @param list<array{node:FsNode, path:string, mtime:int}> $hits */
    private function walk(FsDirectory $dir, string $path, string $term, array &$hits): void
    {
        foreach ($dir->getChildren() as $child) {
            $childPath = $path . '/' . $child->getName();
            if ($term === '' || mb_stripos($child->getName(), $term) !== false) {
                $hits[] = ['node' => $child, 'path' => $childPath, 'mtime' => (int) $child->getLastModified()];
            }
            if ($child instanceof FsDirectory) $this->walk($child, $childPath, $term, $hits);
        }
    }

    private static function mimeIcon(string $mime): string
    {
        return match (true) {
            $mime === 'application/pdf' => 'application-pdf',
            str_starts_with($mime, 'image/') => 'image',
            str_starts_with($mime, 'audio/') => 'audio',
            str_starts_with($mime, 'video/') => 'video',
            str_contains($mime, 'spreadsheet') || $mime === 'text/csv' => 'x-office-spreadsheet',
            str_contains($mime, 'wordprocessing') || str_contains($mime, 'opendocument.text') => 'x-office-document',
            $mime === 'text/markdown' => 'text-markdown',
            str_starts_with($mime, 'text/') => 'text',
            default => 'file',
        };
    }

    /** EventsSearchProvider: VEVENTs whose SUMMARY/LOCATION/DESCRIPTION contain the term; cursor = offset + count. */
    public function calendar(string $term, int $limit, int $cursor): array
    {
        $backend = new CalendarBackend($this->pdo);
        $hits = [];
        foreach ($backend->readableCalendars('principals/users/' . $this->uid) as $calendar) {
            foreach ($backend->getCalendarObjects($calendar['id']) as $summary) {
                $object = $backend->getCalendarObject($calendar['id'], $summary['uri']);
                // searchPrincipalUri limits calendars shared with the user to PUBLIC objects.
                if (isset($calendar[CalendarBackend::SHAREE]) && ShareeClassification::of((string) $object['calendardata']) !== ShareeClassification::PUBLIC) {
                    continue;
                }
                try {
                    $vcalendar = VObject\Reader::read($object['calendardata']);
                } catch (\Throwable) {
                    continue;
                }
                foreach ($vcalendar->select('VEVENT') as $event) {
                    if (isset($event->{'RECURRENCE-ID'})) continue;
                    $haystack = implode("\n", array_map(fn (string $p) => isset($event->$p) ? (string) $event->$p : '', ['SUMMARY', 'LOCATION', 'DESCRIPTION']));
                    if ($term !== '' && mb_stripos($haystack, $term) === false) continue;
                    $start = $event->DTSTART->getDateTime();
                    $hits[] = [
                        'start' => $start->getTimestamp(),
                        'entry' => [
                            'thumbnailUrl' => '',
                            'title' => (string) ($event->SUMMARY ?? ''),
                            'subline' => $event->DTSTART->getDateType() === VObject\Property\DateTime::DATE ? $start->format('Y-m-d') : $start->format('Y-m-d H:i T'),
                            'resourceUrl' => $this->publicUrl . '/index.php/apps/calendar/edit/'
                                . base64_encode('/remote.php/dav/calendars/' . $this->uid . '/' . $calendar['uri'] . '/' . $summary['uri']),
                            'icon' => 'icon-calendar-dark',
                            'rounded' => false,
                            'attributes' => [],
                        ],
                    ];
                }
            }
        }
        usort($hits, fn (array $a, array $b) => $a['start'] <=> $b['start']);
        $entries = array_map(fn (array $hit) => $hit['entry'], array_slice($hits, $cursor, $limit));
        return ['entries' => $entries, 'cursor' => $cursor + count($entries), 'isPaginated' => true];
    }
}
