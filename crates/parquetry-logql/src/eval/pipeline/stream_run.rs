//! A pipeline run over the rows of one stream, as range aggregations and log queries run
//! it: the stream's labels built once, each row starting from a copy of them with its
//! structured metadata added.

use super::Pipeline;
use crate::eval::labels::{LabelsBuilder, Source};
use crate::eval::source::RowsView;
use parquetry_model::Labels;

/// The pipeline over one stream's rows, and the labels and line of the row run last.
pub struct StreamRun<'p> {
    pipeline: &'p Pipeline,
    base: LabelsBuilder,
    /// The labels of the row run last, as the pipeline left them.
    pub labels: LabelsBuilder,
    /// The line of the row run last, as the pipeline left it.
    pub line: String,
}

impl<'p> StreamRun<'p> {
    /// A run of `pipeline` over rows of the stream labelled `stream`.
    pub fn new(pipeline: &'p Pipeline, stream: &Labels) -> StreamRun<'p> {
        StreamRun {
            pipeline,
            base: LabelsBuilder::new(stream.iter().map(|l| (l.name.as_str(), l.value.as_str())), []),
            labels: LabelsBuilder::default(),
            line: String::new(),
        }
    }

    /// Runs row `row` of `rows` through the pipeline: true when it keeps the row, whose
    /// labels and line are then in [`StreamRun::labels`] and [`StreamRun::line`].
    pub fn run(&mut self, rows: &RowsView<'_>, row: usize) -> bool {
        self.labels.reset_to(&self.base);
        let labels = &mut self.labels;
        rows.each_metadata(row, |n, v| labels.add(Source::Metadata, n, v));
        self.line.clear();
        self.line.push_str(rows.line(row));
        self.pipeline
            .process(rows.time(row), &mut self.line, &mut self.labels)
    }
}
