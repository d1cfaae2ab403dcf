//! Group commit: writes that arrive together are committed together.
//!
//! One transaction per write costs a commit each: on SQLite every commit writes each page it
//! changed to the WAL again (the same index pages, over and over, under load); on PostgreSQL
//! each waits for its own flush. Here a write joins a queue, and whoever holds the write turn
//! takes everything queued and writes it as one transaction; each writer is answered after
//! that commit, so an answer still means "committed". Under light load a batch is one write,
//! as before.
//!
//! What a batch is written with is the caller's (`write_all`): it must write all of its
//! items or none (one transaction), and answer Ok only once that transaction committed. If a
//! batch fails because of one of its items (bad data), each item is written again on its
//! own, so one bad item fails alone and the others are kept. If it fails because storage
//! cannot be written (`StorageError::Unavailable`: disk full, I/O error, connection lost),
//! every waiter gets that error: none is answered from a batch that did not commit, and
//! nothing is written twice by a retry of a commit whose outcome is unknown.

use crate::{Result, StorageError};
use std::sync::Mutex;
use tokio::sync::oneshot;

type Queued<J, R> = (J, oneshot::Sender<Result<R>>);

/// What writes a batch: all of it in one transaction, or none of it.
pub type Batch<'a, R> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<R>>> + Send + 'a>>;

pub struct GroupCommit<J, R> {
    queue: Mutex<Vec<Queued<J, R>>>,
    turn: tokio::sync::Mutex<()>,
    max_batch: usize,
}

impl<J, R> std::fmt::Debug for GroupCommit<J, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("max_batch", &self.max_batch)
            .finish_non_exhaustive()
    }
}

impl<J, R> GroupCommit<J, R> {
    pub fn new(max_batch: usize) -> Self {
        Self {
            queue: Mutex::new(Vec::new()),
            turn: tokio::sync::Mutex::new(()),
            max_batch: max_batch.max(1),
        }
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<Queued<J, R>>> {
        // only push and drain happen under it: a panic elsewhere cannot leave it half-changed
        self.queue.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `job` and returns its result once the transaction that wrote it committed.
    ///
    /// Run it where it cannot be cancelled half-way (a spawned task): the caller that holds
    /// the turn writes the others' jobs too.
    pub async fn write(
        &self,
        job: J,
        write_all: impl for<'a> Fn(&'a [J]) -> Batch<'a, R>,
    ) -> Result<R> {
        use oneshot::error::TryRecvError;
        let (reply, mut answer) = oneshot::channel();
        self.queue().push((job, reply));
        // answered by another writer's turn, or this writer's turn to write
        let _turn = tokio::select! {
            r = &mut answer => {
                return r.unwrap_or_else(|_| {
                    Err(StorageError::Other("a group commit was abandoned".into()))
                })
            }
            turn = self.turn.lock() => turn,
        };
        // With the turn, this job was either written in an earlier turn (and answered before
        // that turn ended) or it is still queued.
        loop {
            match answer.try_recv() {
                Ok(r) => return r,
                Err(TryRecvError::Closed) => {
                    return Err(StorageError::Other("a group commit was abandoned".into()))
                }
                Err(TryRecvError::Empty) => {}
            }
            let batch: Vec<Queued<J, R>> = {
                let mut q = self.queue();
                let n = q.len().min(self.max_batch);
                q.drain(..n).collect()
            };
            if batch.is_empty() {
                return Err(StorageError::Other("a queued write was lost".into()));
            }
            let (jobs, replies): (Vec<J>, Vec<_>) = batch.into_iter().unzip();
            match write_all(&jobs).await {
                Ok(results) if results.len() == jobs.len() => {
                    for (reply, r) in replies.into_iter().zip(results) {
                        let _ = reply.send(Ok(r));
                    }
                }
                Ok(_) => {
                    for reply in replies {
                        let _ = reply.send(Err(StorageError::Other(
                            "a group commit answered for the wrong number of writes".into(),
                        )));
                    }
                }
                Err(e) if jobs.len() == 1 => {
                    if let Some(reply) = replies.into_iter().next() {
                        let _ = reply.send(Err(e));
                    }
                }
                Err(StorageError::Unavailable { reason }) => {
                    for reply in replies {
                        let _ = reply.send(Err(StorageError::Unavailable {
                            reason: reason.clone(),
                        }));
                    }
                }
                Err(_) => {
                    for (job, reply) in jobs.iter().zip(replies) {
                        let alone = write_all(std::slice::from_ref(job))
                            .await
                            .and_then(|mut v| {
                                v.pop().ok_or_else(|| {
                                    StorageError::Other("a write answered nothing".into())
                                })
                            });
                        let _ = reply.send(alone);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    /// A stand-in for a database: a batch is "committed" all at once, or fails whole when it
    /// holds a negative number.
    #[derive(Default)]
    struct Log {
        committed: Mutex<Vec<i64>>,
        batches: Mutex<Vec<Vec<i64>>>,
    }

    async fn write_all(log: &Log, jobs: &[i64]) -> Result<Vec<i64>> {
        log.batches.lock().unwrap().push(jobs.to_vec());
        tokio::time::sleep(Duration::from_millis(20)).await;
        if jobs.iter().any(|j| *j < 0) {
            return Err(StorageError::Invalid(kotapintar_domain::FieldErrors::new()));
        }
        log.committed.lock().unwrap().extend_from_slice(jobs);
        Ok(jobs.iter().map(|j| j * 10).collect())
    }

    async fn run(jobs: Vec<i64>, max_batch: usize) -> (Vec<Result<i64>>, Arc<Log>) {
        let group = Arc::new(GroupCommit::new(max_batch));
        let log = Arc::new(Log::default());
        let tasks: Vec<_> = jobs
            .into_iter()
            .map(|j| {
                let (group, log) = (group.clone(), log.clone());
                tokio::spawn(async move {
                    group
                        .write(j, |batch: &[i64]| {
                            let log = log.clone();
                            Box::pin(async move { write_all(&log, batch).await })
                        })
                        .await
                })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        (out, log)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn each_writer_gets_its_own_answer_and_writes_arriving_together_share_a_commit() {
        let jobs: Vec<i64> = (1..=200).collect();
        let (out, log) = run(jobs.clone(), 64).await;
        let answers: Vec<i64> = out.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(answers, jobs.iter().map(|j| j * 10).collect::<Vec<_>>());
        let mut committed = log.committed.lock().unwrap().clone();
        committed.sort();
        assert_eq!(committed, jobs, "every write committed exactly once");
        let sizes: Vec<usize> = log.batches.lock().unwrap().iter().map(Vec::len).collect();
        assert!(sizes.iter().all(|n| *n <= 64), "{sizes:?}");
        assert!(
            sizes.len() < 200 && sizes.iter().any(|n| *n > 1),
            "writes arriving together were not grouped: {sizes:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_bad_write_fails_alone_and_the_rest_of_its_batch_is_kept() {
        let jobs: Vec<i64> = (1..=60).map(|j| if j == 17 { -17 } else { j }).collect();
        let (out, log) = run(jobs.clone(), 64).await;
        for (j, r) in jobs.iter().zip(&out) {
            match r {
                Ok(v) => assert_eq!(*v, j * 10),
                Err(StorageError::Invalid(_)) => assert_eq!(*j, -17),
                Err(e) => panic!("{j}: {e}"),
            }
        }
        assert!(out[16].is_err());
        // the bad write was in a batch with others, which failed whole and was written again
        // one by one
        let batches = log.batches.lock().unwrap().clone();
        assert!(
            batches.iter().any(|b| b.len() > 1 && b.contains(&-17)),
            "{batches:?}"
        );
        assert!(batches.contains(&vec![-17]), "{batches:?}");
        let mut committed = log.committed.lock().unwrap().clone();
        committed.sort();
        let expected: Vec<i64> = jobs.iter().copied().filter(|j| *j > 0).collect();
        assert_eq!(
            committed, expected,
            "each good write once, the bad one never"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn when_storage_cannot_be_written_every_waiter_of_the_batch_gets_the_error() {
        // 0 stands for "the disk is full": the batch fails whole, nothing commits
        let group = Arc::new(GroupCommit::new(64));
        let batches = Arc::new(Mutex::new(Vec::<Vec<i64>>::new()));
        let tasks: Vec<_> = (0..40i64)
            .map(|j| {
                let (group, batches) = (group.clone(), batches.clone());
                tokio::spawn(async move {
                    group
                        .write(j, |batch: &[i64]| {
                            let batches = batches.clone();
                            let batch = batch.to_vec();
                            Box::pin(async move {
                                batches.lock().unwrap().push(batch.clone());
                                tokio::time::sleep(Duration::from_millis(20)).await;
                                if batch.len() > 1 || batch == [0] {
                                    return Err(StorageError::Unavailable {
                                        reason: "disk full".into(),
                                    });
                                }
                                Ok(batch)
                            })
                        })
                        .await
                })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        let batches = batches.lock().unwrap().clone();
        let mut written_alone = 0;
        for (j, r) in (0..40i64).zip(&out) {
            match r {
                Ok(v) => {
                    assert_eq!(*v, j);
                    // answered Ok only from a batch of its own that succeeded
                    assert!(batches.contains(&vec![j]), "{j}: {batches:?}");
                    written_alone += 1;
                }
                Err(StorageError::Unavailable { .. }) => {}
                Err(e) => panic!("{j}: {e}"),
            }
        }
        // a failed batch of several is not written again one by one
        for b in batches.iter().filter(|b| b.len() > 1) {
            for j in b {
                assert!(
                    !batches.contains(&vec![*j]),
                    "{j} was written again after its batch failed: {batches:?}"
                );
            }
        }
        assert!(batches.iter().any(|b| b.len() > 1), "{batches:?}");
        assert!(written_alone < 40);
    }

    #[tokio::test]
    async fn one_write_alone_is_a_batch_of_one() {
        let (out, log) = run(vec![7], 64).await;
        assert_eq!(out[0].as_ref().unwrap(), &70);
        assert_eq!(*log.batches.lock().unwrap(), [vec![7]]);
    }
}
